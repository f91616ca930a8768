"""Quartermaster's helper for training code (dependency-free, Python 3.8+).

The platform starts every worker with an env contract (RANK, WORLD_SIZE, QM_CHECKPOINT_DIR,
QM_RESUME_FROM, QM_CHECKPOINT_INTERVAL_SECONDS, QM_PREEMPT_FILE, QM_PROGRESS_FILE, ...).
This module turns it into a few calls:

    import quartermaster as qm

    ckpt = qm.Checkpointer()               # installs a SIGTERM handler (the preemption notice)
    step = 0
    if ckpt.resume_from:                   # newest committed checkpoint, or None
        step = load(os.path.join(ckpt.resume_from, "model.pt"))
    while step < total:
        train_one_step(); step += 1
        ckpt.report_progress(step, total, loss=loss)        # shows up in `qm describe`
        if ckpt.should_checkpoint():       # interval elapsed, or notice received: save now
            save(os.path.join(ckpt.path_for(step), "model.pt"))
            ckpt.commit(step)              # atomic: the platform only resumes from committed steps
            if ckpt.notice_received():
                sys.exit(0)
"""

import json
import os
import signal
import time

__all__ = ["Checkpointer", "WorkerEnv", "COMMITTED"]
__version__ = "0.1.0"

COMMITTED = "COMMITTED"


def _int(env, key, default):
    try:
        return int(env.get(key, "") or default)
    except ValueError:
        raise ValueError("%s must be an integer, got %r" % (key, env.get(key)))


def _float(env, key):
    raw = env.get(key, "") or ""
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("%s must be a number of seconds, got %r" % (key, raw))
    return value if value > 0 else None


class WorkerEnv(object):
    """The env contract as attributes (defaults suit a plain local run)."""

    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.rank = _int(env, "RANK", 0)
        self.world_size = _int(env, "WORLD_SIZE", 1)
        self.local_rank = _int(env, "LOCAL_RANK", 0)
        self.job_name = env.get("QM_JOB_NAME", "")
        self.namespace = env.get("QM_NAMESPACE", "")
        self.run_id = env.get("QM_RUN_ID", "")
        self.attempt = _int(env, "QM_ATTEMPT", 0)
        self.checkpoint_dir = env.get("QM_CHECKPOINT_DIR", "") or None
        self.resume_from = env.get("QM_RESUME_FROM", "") or None
        self.interval_seconds = _float(env, "QM_CHECKPOINT_INTERVAL_SECONDS")
        self.preempt_file = env.get("QM_PREEMPT_FILE", "") or None
        self.progress_file = env.get("QM_PROGRESS_FILE", "") or None

    @property
    def is_chief(self):
        """Rank 0: by convention the one that writes checkpoints and progress."""
        return self.rank == 0


class Checkpointer(object):
    """Checkpoint directory, resume path, preemption notice and atomic commits for one worker.

    env: a mapping to read instead of os.environ; clock: seconds, monotonic (tests pass a fake);
    install_signal_handler: turn SIGTERM into "save now" instead of dying (main thread only).
    """

    def __init__(self, env=None, clock=time.monotonic, install_signal_handler=True):
        self.env = WorkerEnv(env)
        self._clock = clock
        self._last_save = clock()
        self._sigterm = False
        if install_signal_handler:
            signal.signal(signal.SIGTERM, self._on_sigterm)

    # The env contract, for convenience.
    rank = property(lambda self: self.env.rank)
    world_size = property(lambda self: self.env.world_size)
    checkpoint_dir = property(lambda self: self.env.checkpoint_dir)
    resume_from = property(lambda self: self.env.resume_from)

    @property
    def resume_step(self):
        """The step of QM_RESUME_FROM (its `step-<N>` name), or None when starting fresh."""
        if not self.env.resume_from:
            return None
        name = os.path.basename(os.path.normpath(self.env.resume_from))
        if name.startswith("step-") and name[5:].isdigit():
            return int(name[5:])
        return None

    def _on_sigterm(self, _signum, _frame):
        self._sigterm = True

    def notice_received(self):
        """True once the platform asked this worker to stop (SIGTERM or the preempt file)."""
        if self._sigterm:
            return True
        return bool(self.env.preempt_file and os.path.exists(self.env.preempt_file))

    def notice_deadline(self):
        """The deadline (RFC 3339 string) from the preempt file, or None."""
        if not (self.env.preempt_file and os.path.exists(self.env.preempt_file)):
            return None
        try:
            with open(self.env.preempt_file) as f:
                return json.load(f).get("deadline")
        except (ValueError, OSError):
            return None

    def should_checkpoint(self):
        """Save now? True on a notice, or when QM_CHECKPOINT_INTERVAL_SECONDS passed since the last commit."""
        if self.notice_received():
            return True
        interval = self.env.interval_seconds
        return interval is not None and self._clock() - self._last_save >= interval

    def path_for(self, step):
        """The directory to write step `step` into (created): QM_CHECKPOINT_DIR/step-<N>."""
        if not self.env.checkpoint_dir:
            raise RuntimeError("QM_CHECKPOINT_DIR is not set: run under Quartermaster or set it")
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ValueError("step must be a non-negative integer, got %r" % (step,))
        path = os.path.join(self.env.checkpoint_dir, "step-%d" % step)
        os.makedirs(path, exist_ok=True)
        return path

    def commit(self, step):
        """Marks step `step` complete (an empty COMMITTED file, written atomically, last). Returns its path."""
        path = self.path_for(step)
        marker = os.path.join(path, COMMITTED)
        tmp = marker + ".tmp"
        with open(tmp, "w") as f:
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, marker)
        _fsync_dir(path)
        self._last_save = self._clock()
        return path

    def committed_steps(self):
        """Steps with a COMMITTED marker, ascending."""
        root = self.env.checkpoint_dir
        if not root or not os.path.isdir(root):
            return []
        steps = []
        for name in os.listdir(root):
            if name.startswith("step-") and name[5:].isdigit() and os.path.exists(os.path.join(root, name, COMMITTED)):
                steps.append(int(name[5:]))
        return sorted(steps)

    def report_progress(self, step, total=None, **metrics):
        """Writes {step, total, metrics} to QM_PROGRESS_FILE (atomically); `qm describe` shows it. No-op off-platform."""
        if not self.env.progress_file:
            return False
        report = {"step": int(step)}
        if total is not None:
            report["total"] = int(total)
        if metrics:
            report["metrics"] = {k: float(v) for k, v in metrics.items()}
        tmp = self.env.progress_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f)
        os.replace(tmp, self.env.progress_file)
        return True


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
