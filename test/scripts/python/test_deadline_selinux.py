"""deadline.py: the deadline interrupts, commands are bounded; selinux.py: labels and mode."""
import os
import tempfile
import time
import unittest

from reset_ssh_key import deadline
from reset_ssh_key.paths import Volume
from reset_ssh_key.selinux import Labels, volume_mode


class DeadlineTest(unittest.TestCase):
    def tearDown(self) -> None:
        deadline.disarm()

    def test_the_deadline_interrupts_a_blocking_wait(self) -> None:
        deadline.arm(1)
        started = time.monotonic()
        with self.assertRaises(deadline.DeadlineExceeded) as caught:
            time.sleep(10)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(caught.exception.reason, "the internal deadline of 1 s passed")

    def test_a_command_gets_the_time_left_and_its_error_is_kept(self) -> None:
        deadline.arm(1)
        with self.assertRaises(deadline.DeadlineExceeded):
            deadline.run(["sleep", "10"], "sleep")
        deadline.disarm()
        with self.assertRaisesRegex(deadline.CommandFailed, "cannot list: No such file or directory"):
            deadline.run(["ls", "/nonexistent-dir"], "list", timeout=10)


class SelinuxTest(unittest.TestCase):
    def test_mode_from_the_volume_config_and_relabel_reasons(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(f"{root}/etc/selinux")
            with open(f"{root}/etc/selinux/config", "w") as handle:
                handle.write("# SELINUX=disabled\nSELINUX=enforcing\n")
            volume = Volume(root)
            try:
                self.assertEqual(volume_mode(volume), "enforcing")
                labels = Labels(True)
                fd = os.open(root, os.O_RDONLY)
                try:
                    labels.label_new(fd, "/etc/keys", None)
                finally:
                    os.close(fd)
                self.assertEqual(labels.relabel_reasons, ["/etc/keys was created outside a home directory"])
            finally:
                volume.close()


if __name__ == "__main__":
    unittest.main()
