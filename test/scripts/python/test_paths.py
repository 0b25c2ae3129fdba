"""paths.py: resolution inside the volume on directory descriptors."""
import os
import tempfile
import unittest

from reset_ssh_key.paths import Missing, PathError, Volume, is_os_root, read_bounded


class VolumeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.root = self.directory.name
        os.makedirs(f"{self.root}/home/user/.ssh")
        os.makedirs(f"{self.root}/etc")
        with open(f"{self.root}/etc/passwd", "w") as handle:
            handle.write("root:x:0:0::/root:/bin/sh\n")
        os.symlink("/home/user", f"{self.root}/link-abs")
        os.symlink("../../..", f"{self.root}/home/user/up")
        os.symlink("loop2", f"{self.root}/loop1")
        os.symlink("loop1", f"{self.root}/loop2")
        os.mkfifo(f"{self.root}/fifo")
        self.volume = Volume(self.root)

    def tearDown(self) -> None:
        self.volume.close()
        self.directory.cleanup()

    def test_absolute_links_restart_at_the_volume_root(self) -> None:
        resolved = self.volume.resolve("/link-abs/.ssh/authorized_keys")
        self.assertEqual(resolved.path, "/home/user/.ssh/authorized_keys")
        self.assertEqual(resolved.first_link, "/link-abs -> /home/user")
        self.assertFalse(resolved.exists)

    def test_climbing_above_the_root_loops_and_files_as_directories_fail(self) -> None:
        for path, reason in [("/home/user/up/..", "leads above the volume root"), ("/loop1", "too many symbolic links"),
                             ("/etc/passwd/x", "is not a directory"), ("relative", "is not an absolute path")]:
            with self.subTest(path=path):
                with self.assertRaises(PathError) as caught:
                    self.volume.resolve(path)
                self.assertIn(reason, str(caught.exception))

    def test_read_file_refuses_fifos_big_files_and_missing_ones(self) -> None:
        self.assertEqual(self.volume.read_file("/etc/passwd", 100), b"root:x:0:0::/root:/bin/sh\n")
        with self.assertRaisesRegex(PathError, "is not a regular file"):
            self.volume.read_file("/fifo", 100)
        with self.assertRaisesRegex(PathError, "is larger than 10 bytes"):
            self.volume.read_file("/etc/passwd", 10)
        with self.assertRaises(Missing):
            self.volume.read_file("/etc/shadow", 10)

    def test_open_directory_refuses_a_symlink_component(self) -> None:
        os.close(self.volume.open_directory("/home/user"))
        with self.assertRaises(OSError):
            self.volume.open_directory("/link-abs")

    def test_is_os_root_and_read_bounded(self) -> None:
        self.assertFalse(is_os_root(self.volume))
        os.symlink("../usr/lib/os-release", f"{self.root}/etc/os-release")
        self.assertTrue(is_os_root(self.volume))
        fd = os.open(f"{self.root}/etc/passwd", os.O_RDONLY)
        try:
            with self.assertRaisesRegex(PathError, "grew beyond 5 bytes"):
                read_bounded(fd, 5)
        finally:
            os.close(fd)


if __name__ == "__main__":
    unittest.main()
