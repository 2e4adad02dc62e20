#pragma once
/// \file
/// `xgrad::optim`: optimizers, as `<torch/optim.h>`:
///
///     #include <xgrad/optim.hpp>
///     xgrad::optim::Adam opt(model->parameters(), xgrad::optim::AdamOptions(1e-3).betas({0.9, 0.99}));
///     opt.zero_grad();
///     loss.backward();
///     opt.step();
///
/// and learning-rate schedulers (docs/schedulers.md): `xgrad::optim::StepLR sched(opt, 30, 0.1);`

#include <xgrad/optim/optimizer.hpp>
#include <xgrad/optim/adagrad.hpp>
#include <xgrad/optim/adam.hpp>
#include <xgrad/optim/adamw.hpp>
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/optim/sgd.hpp>
#include <xgrad/optim/schedulers/cosine_annealing_lr.hpp>
#include <xgrad/optim/schedulers/exponential_lr.hpp>
#include <xgrad/optim/schedulers/lambda_lr.hpp>
#include <xgrad/optim/schedulers/linear_lr.hpp>
#include <xgrad/optim/schedulers/lr_scheduler.hpp>
#include <xgrad/optim/schedulers/multi_step_lr.hpp>
#include <xgrad/optim/schedulers/one_cycle_lr.hpp>
#include <xgrad/optim/schedulers/reduce_on_plateau_scheduler.hpp>
#include <xgrad/optim/schedulers/step_lr.hpp>
