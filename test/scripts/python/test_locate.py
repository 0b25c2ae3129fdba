"""locate.py: AuthorizedKeysFile tokens and where a keys file may be."""
import os
import tempfile
import unittest

from reset_ssh_key.accounts import Account
from reset_ssh_key.locate import Refused, expand_tokens, locate_home, locate_keys_file, unavailable_reason
from reset_ssh_key.paths import Volume

USER = Account("u", 1000, 1000, "/home/u", "/bin/sh")


class TokensTest(unittest.TestCase):
    def test_tokens_and_relative_paths(self) -> None:
        self.assertEqual(expand_tokens("%h/.ssh/k_%u_%U_%%", USER), "/home/u/.ssh/k_u_1000_%")
        self.assertEqual(expand_tokens(".ssh/authorized_keys", USER), "/home/u/.ssh/authorized_keys")
        with self.assertRaisesRegex(Refused, "token %x is not supported"):
            expand_tokens("%x", USER)
        with self.assertRaisesRegex(Refused, "gives an unusable path"):
            expand_tokens("/etc/../shadow", USER)


class LocateTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.root = self.directory.name
        os.makedirs(f"{self.root}/home/u")
        os.makedirs(f"{self.root}/etc/keys")
        os.symlink("/etc", f"{self.root}/home/u/.ssh")
        os.symlink("/etc/keys", f"{self.root}/keys")
        self.volume = Volume(self.root)

    def tearDown(self) -> None:
        self.volume.close()
        self.directory.cleanup()

    def test_in_the_home_links_stay_in_the_home(self) -> None:
        self.assertEqual(locate_home(self.volume, USER, {}), "/home/u")
        with self.assertRaisesRegex(Refused, "leads outside the home of u to /etc/authorized_keys"):
            locate_keys_file(self.volume, "/home/u/.ssh/authorized_keys", USER, "/home/u")

    def test_outside_homes_no_link_is_followed(self) -> None:
        with self.assertRaisesRegex(Refused, "goes through a symlink"):
            locate_keys_file(self.volume, "/keys/u", USER, "/home/u")
        found = locate_keys_file(self.volume, "/etc/keys/u", USER, "/home/u")
        self.assertEqual((found.real, found.under_home, found.exists), ("/etc/keys/u", False, False))

    def test_homes_on_unmounted_filesystems_and_system_dirs(self) -> None:
        self.assertIn("/home is a separate filesystem", unavailable_reason("/home/u", {"/home": "nfs filesystem"}) or "")
        with self.assertRaisesRegex(Refused, "is the system directory /etc"):
            locate_home(self.volume, Account("e", 1, 1, "/etc", ""), {})


if __name__ == "__main__":
    unittest.main()
