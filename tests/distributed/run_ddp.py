#!/usr/bin/env python3
"""Whole-run tests of DistributedDataParallel through mpirun (standard library only).

    run_ddp.py identical <ddp_train>    1, 2 and 4 ranks (4 oversubscribed) give the same bits
    run_ddp.py killed <ddp_train>       a rank killed mid-run ends the job fast; the checkpoint
                                        rank 0 wrote before stays loadable and whole
    run_ddp.py stalled <ddp_train>      a rank that stops answering makes the others fail with
                                        the process group's timeout error, not hang
    run_ddp.py lenet <lenet> [--quick]  the LeNet example (--distributed) trains 50 (10) steps to the
                                        same bits on 1, 2 and 4 ranks; a run stopped after one
                                        epoch on 4 ranks and resumed on 1 ends where 2 ranks do

Exits 0 on success, 1 on failure, 77 (skipped) when mpirun is missing.
"""

import filecmp
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

MPIRUN = shutil.which("mpirun")


def mpirun(np, argv, timeout=300):
    env = dict(os.environ)
    # Root in CI containers; more ranks than cores on 2-core machines; one thread per rank.
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1", XGRAD_NUM_THREADS="1")
    cmd = [MPIRUN, "-np", str(np), "--bind-to", "none"] + argv
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - start


def fail(msg, proc=None):
    print("FAIL:", msg)
    if proc is not None:
        print("--- stdout\n" + proc.stdout + "\n--- stderr\n" + proc.stderr)
    sys.exit(1)


def check_safetensors(path):
    """The checkpoint is a whole safetensors file: header length, JSON header, data to the end."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    import json
    header = json.loads(blob[8:8 + n])
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    if 8 + n + end != len(blob):
        fail(f"{path}: {len(blob)} bytes, header says {8 + n + end}")
    return header


def identical(prog):
    tmp = tempfile.mkdtemp(prefix="xgrad-ddp-")
    try:
        outs = []
        for np in (1, 2, 4):
            out = os.path.join(tmp, f"np{np}.safetensors")
            proc, secs = mpirun(np, [prog, "--steps", "25", "--micro-batches", "8", "--out", out])
            if proc.returncode != 0:
                fail(f"{np} ranks: exit {proc.returncode}", proc)
            print(f"reproducible, {np} rank(s): {secs:.1f} s")
            outs.append(out)
        for o in outs[1:]:
            if not filecmp.cmp(outs[0], o, shallow=False):
                fail(f"{o} differs from {outs[0]}: weights are not bit-identical")
        print("1, 2 and 4 ranks: bit-identical weights after 25 steps")
        # Fast mode runs and converges to nearly the same weights, not the same bits.
        out = os.path.join(tmp, "fast.safetensors")
        proc, secs = mpirun(2, [prog, "--steps", "25", "--fast", "--out", out])
        if proc.returncode != 0:
            fail("fast mode: exit %d" % proc.returncode, proc)
        check_safetensors(out)
        print(f"fast mode, 2 ranks: {secs:.1f} s")
    finally:
        shutil.rmtree(tmp)


def killed(prog):
    tmp = tempfile.mkdtemp(prefix="xgrad-ddp-")
    try:
        ckpt = os.path.join(tmp, "ckpt.safetensors")
        proc, secs = mpirun(2, [prog, "--steps", "1000", "--checkpoint", ckpt, "--checkpoint-every", "5",
                                "--kill-rank", "1", "--kill-at-step", "40"], timeout=120)
        if proc.returncode == 0:
            fail("the job succeeded although rank 1 was killed", proc)
        print(f"rank 1 killed at step 40: job ended with exit {proc.returncode} after {secs:.1f} s")
        if secs > 60:
            fail(f"the job took {secs:.0f} s to end", proc)
        header = check_safetensors(ckpt)
        if "conv.weight" not in header or "fc.bias" not in header:
            fail(f"checkpoint lacks tensors: {sorted(header)}")
        # A write cut short by the launcher's kill may leave its temporary file; never a torn
        # checkpoint.
        leftovers = [f for f in os.listdir(tmp) if f != "ckpt.safetensors"]
        if leftovers:
            print("temporary files of an interrupted write:", leftovers)
        print("the last checkpoint is whole:", ", ".join(sorted(k for k in header if k != "__metadata__")))
    finally:
        shutil.rmtree(tmp)


def stalled(prog):
    # Rank 1 sleeps 60 s; rank 0 must give up after the 3 s timeout with a clear error, and the
    # launcher then ends the job.
    proc, secs = mpirun(2, [prog, "--steps", "50", "--stall-rank", "1", "--stall-at-step", "5",
                            "--timeout-ms", "3000"], timeout=120)
    if proc.returncode == 0:
        fail("the job succeeded although rank 1 stalled", proc)
    if "waited 3000 ms for the other ranks" not in proc.stderr:
        fail("rank 0 did not report the timeout", proc)
    if secs > 45:
        fail(f"the job took {secs:.0f} s to end (rank 1 sleeps 60 s; the timeout is 3 s)", proc)
    line = next(l for l in proc.stderr.splitlines() if "waited 3000 ms" in l)
    print(f"stalled rank: job ended after {secs:.1f} s; rank 0 said:\n  {line}")


def model_tensors(path):
    """The model and optimizer tensors of a lenet checkpoint, as raw bytes by name."""
    import json
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    return {k: blob[base + v["data_offsets"][0]:base + v["data_offsets"][1]]
            for k, v in header.items() if k.startswith(("model.", "optimizer."))}


def lenet(prog, quick=False):
    data = "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(data):
        print(f"SKIP: {data} missing (apt-get install dataset-fashion-mnist)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="xgrad-lenet-")
    common = ["--distributed", "--threads", "1", "--limit-test", "500", "--batch-size", "256"]
    try:
        ckpts = []
        # 12800 images in batches of 256: 50 steps, each cut into 8 micro-batches. Under the
        # sanitizers (--quick, ~10x slower) 10 steps make the same comparison.
        steps = 10 if quick else 50
        for np in (1, 2, 4):
            out = os.path.join(tmp, f"np{np}")
            proc, secs = mpirun(np, [prog] + common + ["--limit-train", str(256 * steps), "--epochs", "1",
                                                       "--out", out])
            if proc.returncode != 0:
                fail(f"lenet on {np} rank(s): exit {proc.returncode}", proc)
            print(f"lenet, {steps} steps, {np} rank(s): {secs:.1f} s")
            ckpts.append(model_tensors(os.path.join(out, "checkpoint.safetensors")))
        if not ckpts[0]:
            fail("no model tensors in the checkpoint")
        for np, c in zip((2, 4), ckpts[1:]):
            if c != ckpts[0]:
                bad = sorted(k for k in ckpts[0] if ckpts[0][k] != c.get(k))
                fail(f"{np} ranks: weights differ from 1 rank's in {bad[:5]}")
        print(f"1, 2 and 4 ranks: bit-identical model and optimizer state ({len(ckpts[0])} tensors) after {steps} steps")

        # Two epochs of 10 (quick: 4) steps on 2 ranks, against epoch 1 on 4 ranks + resume for
        # epoch 2 on 1 rank.
        short = common + ["--limit-train", "1024" if quick else "2560"]
        whole = os.path.join(tmp, "whole")
        proc, _ = mpirun(2, [prog] + short + ["--epochs", "2", "--out", whole])
        if proc.returncode != 0:
            fail("2 epochs on 2 ranks", proc)
        part = os.path.join(tmp, "part")
        proc, _ = mpirun(4, [prog] + short + ["--epochs", "1", "--out", part])
        if proc.returncode != 0:
            fail("epoch 1 on 4 ranks", proc)
        resumed = os.path.join(tmp, "resumed")
        proc, _ = mpirun(1, [prog] + short + ["--epochs", "2", "--out", resumed,
                                              "--resume", os.path.join(part, "checkpoint.safetensors")])
        if proc.returncode != 0:
            fail("resume on 1 rank", proc)
        if "resumed from" not in proc.stdout:
            fail("the resumed run did not say it resumed", proc)
        a = model_tensors(os.path.join(whole, "checkpoint.safetensors"))
        b = model_tensors(os.path.join(resumed, "checkpoint.safetensors"))
        if a != b:
            fail("epoch 1 on 4 ranks + epoch 2 resumed on 1 rank differs from 2 epochs on 2 ranks")
        print("stopped on 4 ranks, resumed on 1: the same bits as an uninterrupted run on 2 ranks")
    finally:
        shutil.rmtree(tmp)


def main():
    if MPIRUN is None:
        print("SKIP: mpirun not found (apt-get install openmpi-bin)")
        sys.exit(77)
    what, prog = sys.argv[1], sys.argv[2]
    if what == "lenet":
        lenet(prog, quick="--quick" in sys.argv[3:])
    else:
        {"identical": identical, "killed": killed, "stalled": stalled}[what](prog)


if __name__ == "__main__":
    main()
