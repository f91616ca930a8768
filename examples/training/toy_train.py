#!/usr/bin/env python3
"""A dependency-free training job that follows Quartermaster's worker contract.

It fits y = 3x + 1 by gradient descent (a real, if tiny, computation), checkpoints to
QM_CHECKPOINT_DIR/step-<N>/ followed by an empty COMMITTED file, resumes from QM_RESUME_FROM,
and on SIGTERM (the preemption notice) saves a checkpoint before exiting.
Run it by hand:  QM_CHECKPOINT_DIR=/tmp/ck python3 examples/training/toy_train.py --steps 20
"""
import argparse
import json
import os
import signal
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--step-seconds", type=float, default=0.25)
args = parser.parse_args()

rank = int(os.environ.get("RANK", "0"))
world = int(os.environ.get("WORLD_SIZE", "1"))
ckpt_dir = os.environ.get("QM_CHECKPOINT_DIR", "")
resume_from = os.environ.get("QM_RESUME_FROM", "")
interval_s = float(os.environ.get("QM_CHECKPOINT_INTERVAL_SECONDS", "0") or 0)

stop_requested = False


def on_sigterm(_signum, _frame):
    global stop_requested
    stop_requested = True


signal.signal(signal.SIGTERM, on_sigterm)

state = {"step": 0, "w": 0.0, "b": 0.0}
if resume_from:
    with open(os.path.join(resume_from, "state.json")) as f:
        state = json.load(f)
    print(f"rank {rank}: resumed from {resume_from} at step {state['step']}", flush=True)


def save(step):
    # Only rank 0 writes; the COMMITTED marker goes last so a torn write is never resumed from.
    if rank != 0 or not ckpt_dir:
        return
    path = os.path.join(ckpt_dir, f"step-{step}")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "state.json"), "w") as f:
        json.dump(state, f)
    open(os.path.join(path, "COMMITTED"), "w").close()
    print(f"rank {rank}: checkpoint step {step}", flush=True)


data = [(x / 10.0, 3 * x / 10.0 + 1) for x in range(-10, 11)]
last_save = time.monotonic()
while state["step"] < args.steps:
    gw = sum(2 * (state["w"] * x + state["b"] - y) * x for x, y in data) / len(data)
    gb = sum(2 * (state["w"] * x + state["b"] - y) for x, y in data) / len(data)
    state["w"] -= 0.1 * gw
    state["b"] -= 0.1 * gb
    state["step"] += 1
    loss = sum((state["w"] * x + state["b"] - y) ** 2 for x, y in data) / len(data)
    print(f"rank {rank}/{world} step {state['step']} loss {loss:.5f}", flush=True)
    if stop_requested:
        save(state["step"])
        print(f"rank {rank}: preempted, exiting after checkpoint", flush=True)
        sys.exit(0)
    if interval_s and time.monotonic() - last_save >= interval_s:
        save(state["step"])
        last_save = time.monotonic()
    time.sleep(args.step_seconds)

save(state["step"])
print(f"rank {rank}: done, w={state['w']:.3f} b={state['b']:.3f}", flush=True)
