import json
import os
import signal
import shutil
import tempfile
import unittest

import quartermaster as qm


class FakeClock(object):
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class CheckpointerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qm-sdk-")
        self.ck = os.path.join(self.dir, "ck")
        self.env = {
            "RANK": "1", "WORLD_SIZE": "2", "QM_CHECKPOINT_DIR": self.ck,
            "QM_CHECKPOINT_INTERVAL_SECONDS": "3", "QM_PREEMPT_FILE": os.path.join(self.dir, "preempt"),
            "QM_PROGRESS_FILE": os.path.join(self.dir, "progress.json"),
        }
        self.clock = FakeClock()
        self.previous = signal.getsignal(signal.SIGTERM)

    def tearDown(self):
        signal.signal(signal.SIGTERM, self.previous)
        shutil.rmtree(self.dir, ignore_errors=True)

    def make(self, **extra):
        env = dict(self.env, **extra)
        return qm.Checkpointer(env=env, clock=self.clock, install_signal_handler=False)

    def test_reads_the_env_contract(self):
        c = self.make(QM_RESUME_FROM=os.path.join(self.ck, "step-40"))
        self.assertEqual((c.rank, c.world_size), (1, 2))
        self.assertEqual(c.checkpoint_dir, self.ck)
        self.assertEqual(c.resume_step, 40)
        self.assertFalse(c.env.is_chief)

    def test_fresh_start_has_no_resume(self):
        c = self.make(QM_RESUME_FROM="")
        self.assertIsNone(c.resume_from)
        self.assertIsNone(c.resume_step)

    def test_bad_numbers_name_the_variable(self):
        with self.assertRaisesRegex(ValueError, "QM_CHECKPOINT_INTERVAL_SECONDS"):
            self.make(QM_CHECKPOINT_INTERVAL_SECONDS="soon")

    def test_should_checkpoint_after_the_interval_and_resets_on_commit(self):
        c = self.make()
        self.assertFalse(c.should_checkpoint())
        self.clock.t += 3
        self.assertTrue(c.should_checkpoint())
        c.commit(7)
        self.assertFalse(c.should_checkpoint())

    def test_no_interval_means_only_on_notice(self):
        c = self.make(QM_CHECKPOINT_INTERVAL_SECONDS="")
        self.clock.t += 10000
        self.assertFalse(c.should_checkpoint())

    def test_preempt_file_is_a_notice_with_a_deadline(self):
        c = self.make()
        with open(self.env["QM_PREEMPT_FILE"], "w") as f:
            json.dump({"deadline": "2025-01-01T00:00:30Z", "reason": "Preempted"}, f)
        self.assertTrue(c.notice_received())
        self.assertTrue(c.should_checkpoint())
        self.assertEqual(c.notice_deadline(), "2025-01-01T00:00:30Z")

    def test_sigterm_becomes_save_now_instead_of_dying(self):
        c = qm.Checkpointer(env=self.env, clock=self.clock)
        self.assertFalse(c.notice_received())
        os.kill(os.getpid(), signal.SIGTERM)
        self.assertTrue(c.notice_received())
        self.assertTrue(c.should_checkpoint())

    def test_commit_writes_the_marker_last_and_lists_only_committed_steps(self):
        c = self.make()
        path = c.path_for(5)
        with open(os.path.join(path, "model.bin"), "w") as f:
            f.write("weights")
        c.path_for(6)  # torn: never committed
        self.assertEqual(c.committed_steps(), [])
        self.assertEqual(c.commit(5), path)
        self.assertTrue(os.path.exists(os.path.join(path, qm.COMMITTED)))
        self.assertEqual(c.committed_steps(), [5])

    def test_path_for_rejects_bad_steps_and_a_missing_dir(self):
        c = self.make()
        for bad in (-1, 1.5, "3", True):
            with self.assertRaises(ValueError):
                c.path_for(bad)
        with self.assertRaisesRegex(RuntimeError, "QM_CHECKPOINT_DIR"):
            self.make(QM_CHECKPOINT_DIR="").path_for(1)

    def test_progress_report_is_written_atomically(self):
        c = self.make()
        self.assertTrue(c.report_progress(10, 100, loss=0.5))
        with open(self.env["QM_PROGRESS_FILE"]) as f:
            self.assertEqual(json.load(f), {"step": 10, "total": 100, "metrics": {"loss": 0.5}})
        self.assertFalse(self.make(QM_PROGRESS_FILE="").report_progress(1))


if __name__ == "__main__":
    unittest.main()
