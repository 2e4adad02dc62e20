"""Reference learning-rate (and momentum) sequences for tests/optim/schedulers.cpp (PyTorch 1.13).

Run: /usr/bin/python3 tests/reference/schedulers.py > /tmp/schedulers_ref.inc
and paste the printed block into tests/optim/schedulers.cpp between the REFERENCE markers.

Every case builds an SGD (or Adam) optimizer whose param groups have the learning rates in
GROUP_LRS (or ONE_LR), constructs the scheduler (which takes its initial step, last_epoch = 0),
records get_last_lr(), then calls step() STEPS times (or as many times as the scheduler allows)
recording get_last_lr() after each call. `lrs` is flattened [step][group]; `momenta` holds the
SGD momentum / Adam beta1 of each group at the same points (OneCycleLR only). The C++ test
builds the same scheduler under the same name; the lambdas of LambdaLR are written identically
in both files. ReduceLROnPlateau is stepped with the metric sequences METRICS_* printed below.
"""
import math
import warnings

import torch
from torch.optim import SGD, Adam
from torch.optim import lr_scheduler as S

warnings.simplefilter('ignore')  # get_lr / step-order warnings are irrelevant here

GROUP_LRS = [0.1, 0.05, 0.3]
ONE_LR = [0.01]
STEPS = 40


def make_opt(lrs, kind='sgd'):
    groups = [{'params': [torch.zeros(1, requires_grad=True)], 'lr': lr} for lr in lrs]
    if kind == 'adam':
        return Adam(groups, lr=lrs[0], betas=(0.9, 0.999))
    return SGD(groups, lr=lrs[0], momentum=0.9)


def momenta(opt):
    out = []
    for g in opt.param_groups:
        out.append(g['betas'][0] if 'betas' in g else g['momentum'])
    return out


cases = []


def record(name, lrs, build, steps=STEPS, kind='sgd', with_momentum=False, metrics=None, halve_at=None):
    opt = make_opt(lrs, kind)
    sched = build(opt)
    seq = [list(sched.get_last_lr())] if metrics is None else [[g['lr'] for g in opt.param_groups]]
    mom = [momenta(opt)] if with_momentum else []
    for i in range(steps):
        if i == halve_at:  # someone else halves the rates: the recursive forms carry on from there
            for g in opt.param_groups:
                g['lr'] = g['lr'] * 0.5
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        # ReduceLROnPlateau has no get_last_lr() in 1.13, only _last_lr
        seq.append(list(sched.get_last_lr() if metrics is None else sched._last_lr))
        if with_momentum:
            mom.append(momenta(opt))
    cases.append((name, len(lrs), [v for row in seq for v in row], [v for row in mom for v in row]))


# StepLR
record('step_s3_g0.1', GROUP_LRS, lambda o: S.StepLR(o, step_size=3, gamma=0.1))
record('step_s7_g0.5', GROUP_LRS, lambda o: S.StepLR(o, step_size=7, gamma=0.5))
record('step_s1_g0.9', ONE_LR, lambda o: S.StepLR(o, step_size=1, gamma=0.9))
record('step_s10_default', GROUP_LRS, lambda o: S.StepLR(o, step_size=10))

# MultiStepLR (milestones may repeat: gamma is applied once per occurrence; 0 decays at construction)
record('multistep_5_12_12_20_g0.5', GROUP_LRS, lambda o: S.MultiStepLR(o, [5, 12, 12, 20], gamma=0.5))
record('multistep_0_3_30_g0.1', GROUP_LRS, lambda o: S.MultiStepLR(o, [0, 3, 30], gamma=0.1))
record('multistep_unsorted_g0.3', ONE_LR, lambda o: S.MultiStepLR(o, [25, 2, 9], gamma=0.3))

# ExponentialLR
record('exp_g0.9', GROUP_LRS, lambda o: S.ExponentialLR(o, gamma=0.9))
record('exp_g0.5', ONE_LR, lambda o: S.ExponentialLR(o, gamma=0.5))
record('exp_g1.05', GROUP_LRS, lambda o: S.ExponentialLR(o, gamma=1.05))

# CosineAnnealingLR (recursive form; steps past T_max go back up and come down again)
record('cos_t10_e0', GROUP_LRS, lambda o: S.CosineAnnealingLR(o, T_max=10))
record('cos_t7_e0.001', GROUP_LRS, lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001))
record('cos_t1_e0.005', ONE_LR, lambda o: S.CosineAnnealingLR(o, T_max=1, eta_min=0.005))
record('cos_t50_e0.01', GROUP_LRS, lambda o: S.CosineAnnealingLR(o, T_max=50, eta_min=0.01))
record('cos_t12_halved_at_5', GROUP_LRS, lambda o: S.CosineAnnealingLR(o, T_max=12, eta_min=0.002), halve_at=5)

# LinearLR (recursive form)
record('linear_default', GROUP_LRS, lambda o: S.LinearLR(o))
record('linear_0.25_1_10', GROUP_LRS, lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=10))
record('linear_1_0.1_20', GROUP_LRS, lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20))
record('linear_0.5_0_8', ONE_LR, lambda o: S.LinearLR(o, start_factor=0.5, end_factor=0.0, total_iters=8))
record('linear_0.1_0.7_33', GROUP_LRS, lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.7, total_iters=33))
record('linear_halved_at_3', GROUP_LRS, lambda o: S.LinearLR(o, start_factor=0.2, total_iters=10), halve_at=3)
record('step_halved_at_4', GROUP_LRS, lambda o: S.StepLR(o, step_size=3, gamma=0.5), halve_at=4)

# LambdaLR: one lambda for all groups, or one per group (same bodies in the C++ test)
record('lambda_pow', GROUP_LRS, lambda o: S.LambdaLR(o, lambda e: 0.95 ** e))
record('lambda_per_group', GROUP_LRS, lambda o: S.LambdaLR(o, [
    lambda e: 0.95 ** e,
    lambda e: 1.0 / (1.0 + e),
    lambda e: float(e // 10 + 1),
]))
record('lambda_warmup', ONE_LR, lambda o: S.LambdaLR(o, lambda e: min(1.0, (e + 1) / 8.0)))


# OneCycleLR: lrs and momenta, every step up to total_steps (one more raises)
def one_cycle(name, lrs, steps, kind='sgd', **kw):
    record(name, lrs, lambda o: S.OneCycleLR(o, **kw), steps=steps, kind=kind, with_momentum=True)


one_cycle('onecycle_default_40', GROUP_LRS, 40, max_lr=0.1, total_steps=40)
one_cycle('onecycle_pergroup_linear', GROUP_LRS, 40, max_lr=[0.1, 0.05, 0.2], epochs=5, steps_per_epoch=8,
          pct_start=0.25, anneal_strategy='linear')
one_cycle('onecycle_three_phase', GROUP_LRS, 50, max_lr=0.2, total_steps=50, three_phase=True, div_factor=10.0,
          final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9)
one_cycle('onecycle_adam', GROUP_LRS, 35, kind='adam', max_lr=[0.01, 0.02, 0.03], total_steps=35, pct_start=0.4,
          base_momentum=[0.8, 0.85, 0.7], max_momentum=[0.95, 0.9, 0.9])
one_cycle('onecycle_no_momentum', ONE_LR, 31, max_lr=1.0, total_steps=31, cycle_momentum=False,
          three_phase=True, anneal_strategy='linear', pct_start=0.2)

# ReduceLROnPlateau on fixed metric sequences
METRICS_MIN = [1.0, 0.9, 0.85, 0.86, 0.87, 0.849, 0.8499, 0.85, 0.84, 0.84, 0.84, 0.84, 0.7, 0.7, 0.71, 0.72,
               0.69, 0.69, 0.69, 0.69, 0.69, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49995, 0.5, 0.5, 0.5, 0.3,
               0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
METRICS_MAX = [0.1, 0.2, 0.25, 0.255, 0.26, 0.3, 0.3, 0.301, 0.31, 0.32, 0.32, 0.32, 0.4, 0.395, 0.41, 0.4,
               0.4, 0.4, 0.42, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7,
               0.7, 0.7, 0.7, 0.71, 0.72, 0.73]


def plateau(name, lrs, metrics, **kw):
    record(name, lrs, lambda o: S.ReduceLROnPlateau(o, **kw), steps=len(metrics), metrics=metrics)


plateau('plateau_min_rel_p3_f0.5', GROUP_LRS, METRICS_MIN, mode='min', factor=0.5, patience=3)
plateau('plateau_min_abs_p2_cd2', GROUP_LRS, METRICS_MIN, mode='min', factor=0.3, patience=2,
        threshold=0.01, threshold_mode='abs', cooldown=2)
plateau('plateau_max_rel_p1', GROUP_LRS, METRICS_MAX, mode='max', factor=0.5, patience=1, threshold=0.02)
plateau('plateau_max_abs_p0_minlr', GROUP_LRS, METRICS_MAX, mode='max', factor=0.2, patience=0,
        threshold=0.005, threshold_mode='abs', min_lr=[0.01, 0.001, 0.05])
plateau('plateau_min_eps', ONE_LR, METRICS_MIN, mode='min', factor=0.5, patience=1, min_lr=0.0012, eps=1e-4)
plateau('plateau_default', GROUP_LRS, METRICS_MIN)


def vec(v):
    return '{' + ', '.join(repr(float(e)) for e in v) + '}'


print('// BEGIN REFERENCE (generated by tests/reference/schedulers.py)')
print(f'const std::vector<double> kMetricsMin = {vec(METRICS_MIN)};')
print(f'const std::vector<double> kMetricsMax = {vec(METRICS_MAX)};')
print('const std::map<std::string, Ref> kRef = {')
for name, groups, lrs, mom in cases:
    print(f'    {{"{name}", {{{groups}, {vec(lrs)}, {vec(mom)}}}}},')
print('};')
print('// END REFERENCE')
