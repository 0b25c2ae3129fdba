"""install.py: the content rewrites, the checks on the descriptor, the writer and its undo."""
import os
import stat
import tempfile
import unittest

from reset_ssh_key.install import (MAX_KEYS_BYTES, Writer, check_free_space, has_key, open_existing, with_line,
                                   without_comment)
from reset_ssh_key.locate import Refused
from reset_ssh_key.paths import Volume
from reset_ssh_key.selinux import Labels

ED = "AAAAC3NzaC1lZDI1NTE5AAAAIOeYVcWh1GvJr5FWoJ2IIrcQH1V7ExampleKeyOnly"
OTHER = "AAAAC3NzaC1lZDI1NTE5AAAAIBLkmJ2o0Lq5Y8b6SLZr2RzDExampleKeyOnlyB"


class ContentTest(unittest.TestCase):
    def test_has_key_ignores_commented_lines_and_reports_options(self) -> None:
        self.assertIsNone(has_key(f"# ssh-ed25519 {ED} x\n".encode(), ED))
        line = has_key(f'from="10.0.0.1" ssh-ed25519 {ED} x\n'.encode(), ED)
        self.assertEqual(line.options if line else None, 'from="10.0.0.1"')

    def test_without_comment_removes_exact_matches_only_byte_for_byte(self) -> None:
        content = (f"ssh-ed25519 {ED} tool@i-1\r\n# tool@i-1\nssh-ed25519 {OTHER} tool@i-10\n"
                   f"no-pty ssh-ed25519 {OTHER} tool@i-1\n\xff\n").encode("utf-8", "surrogateescape")
        kept, removed = without_comment(content, "tool@i-1", keep_blob="none")
        self.assertEqual(kept, f"# tool@i-1\nssh-ed25519 {OTHER} tool@i-10\n\xff\n".encode("utf-8", "surrogateescape"))
        self.assertEqual([line.blob for line in removed], [ED, OTHER])
        kept, removed = without_comment(content, "tool@i-1", keep_blob=ED)
        self.assertEqual(len(removed), 1)

    def test_with_line_ends_the_last_line_first(self) -> None:
        self.assertEqual(with_line(b"a", "k"), b"a\nk\n")
        self.assertEqual(with_line(b"", "k"), b"k\n")


class DescriptorTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.root = self.directory.name
        self.fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)

    def tearDown(self) -> None:
        os.close(self.fd)
        self.directory.cleanup()

    def test_refuses_hard_links_large_and_sparse_files(self) -> None:
        with open(f"{self.root}/keys", "w") as handle:
            handle.write("k\n")
        os.link(f"{self.root}/keys", f"{self.root}/link")
        with self.assertRaisesRegex(Refused, "has 2 hard links"):
            open_existing(self.fd, "keys", "/keys", os.getuid())
        open(f"{self.root}/big", "w").close()
        os.truncate(f"{self.root}/big", MAX_KEYS_BYTES + 1)
        with self.assertRaisesRegex(Refused, "more than 1048576 is not a keys file"):
            open_existing(self.fd, "big", "/big", os.getuid())
        open(f"{self.root}/sparse", "w").close()
        os.truncate(f"{self.root}/sparse", 900 * 1024)
        with self.assertRaisesRegex(Refused, "is sparse"):
            open_existing(self.fd, "sparse", "/sparse", os.getuid())

    def test_refuses_a_file_of_another_user(self) -> None:
        if os.getuid() != 0:
            self.skipTest("needs root to give the file to another uid")
        with open(f"{self.root}/keys", "w") as handle:
            handle.write("k\n")
        os.chown(f"{self.root}/keys", 4242, 4242)
        with self.assertRaisesRegex(Refused, "belongs to uid 4242, neither the user nor root"):
            open_existing(self.fd, "keys", "/keys", 1000)
        os.close(open_existing(self.fd, "keys", "/keys", 4242).fd)

    def test_free_space_is_checked_against_the_filesystem(self) -> None:
        check_free_space(self.fd, "/keys", 1, 1)
        with self.assertRaisesRegex(Refused, "^No space left on device"):
            check_free_space(self.fd, "/keys", 1 << 60, 1)

    def test_a_failed_write_leaves_no_temporary_file_nor_created_directory(self) -> None:
        volume = Volume(self.root)
        writer = Writer(volume, Labels(False))
        try:
            directory = writer.make_directories("/home/u/.ssh/keys", "/", (os.getuid(), os.getgid()), 0o700, None, 10)
            try:
                self.assertTrue(stat.S_ISDIR(os.stat(f"{self.root}/home/u/.ssh").st_mode))

                def fail(_fd: int) -> None:
                    raise OSError(5, "Input/output error")

                with self.assertRaisesRegex(Refused, "cannot write /home/u/.ssh/keys: Input/output error"):
                    writer.replace(directory, "keys", "/home/u/.ssh/keys", b"k\n", None, fail)
            finally:
                os.close(directory)
            writer.undo()
            writer.close()
            self.assertEqual(os.listdir(self.root), [])
        finally:
            volume.close()


if __name__ == "__main__":
    unittest.main()
