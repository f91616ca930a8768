#!/usr/bin/env python3
"""A real PyTorch DDP job (gloo backend, CPU) that follows Quartermaster's worker contract.

Two (or more) workers train a small MLP on a synthetic regression task with
DistributedDataParallel. Rank 0 checkpoints every QM_CHECKPOINT_INTERVAL_SECONDS (and on the
preemption notice) to QM_CHECKPOINT_DIR/step-<N>/model.pt + COMMITTED through the
`quartermaster` helper (sdk/python); every rank resumes from QM_RESUME_FROM.

Needs torch (Debian: apt install python3-torch). Run under the platform:
    qm apply -f examples/training/ddp-mnist-like.yaml
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

import quartermaster as qm  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--step-sleep", type=float, default=0.0, help="seconds to sleep per step (slows the demo down)")
args = parser.parse_args()

ckpt = qm.Checkpointer()
dist.init_process_group("gloo")  # reads MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)

model = DDP(torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
true_w = torch.arange(1.0, 9.0).unsqueeze(1) / 8.0

step = 0
if ckpt.resume_from:
    state = torch.load(os.path.join(ckpt.resume_from, "model.pt"), map_location="cpu")
    model.module.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    step = state["step"]
    print("rank %d: resumed from %s at step %d" % (rank, ckpt.resume_from, step), flush=True)
else:
    print("rank %d/%d: starting from scratch" % (rank, world), flush=True)

gen = torch.Generator().manual_seed(1000 + rank)


def save_and_commit():
    # Every rank agrees to save (a notice reaches all ranks; the interval is checked on rank 0 and broadcast).
    if rank == 0:
        path = ckpt.path_for(step)
        torch.save({"model": model.module.state_dict(), "opt": opt.state_dict(), "step": step}, os.path.join(path, "model.pt"))
        ckpt.commit(step)
        print("rank 0: checkpoint step %d" % step, flush=True)
    dist.barrier()


while step < args.steps:
    x = torch.randn(args.batch, 8, generator=gen)
    y = x @ true_w + 0.01 * torch.randn(args.batch, 1, generator=gen)
    loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    step += 1
    print("rank %d: step %d loss %.5f" % (rank, step, loss.item()), flush=True)
    if rank == 0:
        ckpt.report_progress(step, args.steps, loss=loss.item())
    # One decision for the whole gang, so no rank waits at a barrier the others skip.
    flags = torch.tensor([1.0 if ckpt.should_checkpoint() else 0.0, 1.0 if ckpt.notice_received() else 0.0])
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    if flags[0] > 0:
        save_and_commit()
    if flags[1] > 0:
        print("rank %d: preemption notice, exiting after checkpoint at step %d" % (rank, step), flush=True)
        dist.destroy_process_group()
        sys.exit(0)
    if args.step_sleep:
        import time
        time.sleep(args.step_sleep)

save_and_commit()
print("rank %d: done at step %d, loss %.5f" % (rank, step, loss.item()), flush=True)
dist.destroy_process_group()
