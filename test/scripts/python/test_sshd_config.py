"""sshd_config.py: loading bounded, Match evaluated as sshd does."""
import os
import tempfile
import time
import unittest

from reset_ssh_key.paths import Volume
from reset_ssh_key.report import Report
from reset_ssh_key.sshd_config import (MAX_FILES, Settings, SshdConfig, load_sshd_config, match_pattern_list,
                                       split_arguments, wildcard_match)


class PatternsTest(unittest.TestCase):
    def test_wildcards_and_literals(self) -> None:
        self.assertTrue(wildcard_match("ec2-user", "ec2-*"))
        self.assertTrue(wildcard_match("abc", "a?c"))
        self.assertFalse(wildcard_match("a.c", "a[.]c"))
        self.assertTrue(wildcard_match("a[.]c", "a[.]c"))
        self.assertFalse(match_pattern_list("root", "*,!root"))
        self.assertTrue(match_pattern_list("user", "admin,us*"))

    def test_no_exponential_backtracking(self) -> None:
        started = time.monotonic()
        self.assertFalse(wildcard_match("a" * 5000, "*a" * 30 + "b"))
        self.assertLess(time.monotonic() - started, 5)

    def test_split_arguments_honours_quotes(self) -> None:
        self.assertEqual(split_arguments('a "b c"  d'), ["a", "b c", "d"])
        self.assertIsNone(split_arguments('a "b'))


class LoadTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.root = self.directory.name
        os.makedirs(f"{self.root}/etc/ssh/sshd_config.d")

    def tearDown(self) -> None:
        self.directory.cleanup()

    def write(self, relative: str, text: str) -> None:
        with open(f"{self.root}/{relative}", "w") as handle:
            handle.write(text)

    def load(self) -> "tuple[SshdConfig, Report]":
        report = Report()
        volume = Volume(self.root)
        try:
            return load_sshd_config(volume, report), report
        finally:
            volume.close()

    def test_self_includes_load_each_file_once(self) -> None:
        self.write("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config\n" * 3 + "Include sshd_config.d/*.conf\nUsePAM yes\n")
        self.write("etc/ssh/sshd_config.d/10-a.conf", "Include /etc/ssh/sshd_config\nPasswordAuthentication no\n")
        config, report = self.load()
        self.assertIsNone(config.problem)
        self.assertEqual([d.keyword for d in config.directives], ["passwordauthentication", "usepam"])

    def test_too_many_files_is_a_problem_not_a_hang(self) -> None:
        self.write("etc/ssh/sshd_config", "Include sshd_config.d/*.conf\n")
        for index in range(MAX_FILES + 5):
            self.write(f"etc/ssh/sshd_config.d/{index:03d}.conf", "# empty\n")
        config, report = self.load()
        self.assertIn(f"more than {MAX_FILES} files included", config.problem or "")

    def test_match_blocks_override_and_first_value_wins(self) -> None:
        self.write("etc/ssh/sshd_config", "AuthorizedKeysFile a\nAuthorizedKeysFile b\nMatch Group admins\n"
                   "AuthorizedKeysFile c\nMatch Address 10.0.0.1\nPubkeyAuthentication no\n")
        config, report = self.load()
        member = Settings(config, "alice", ["admins"], report)
        other = Settings(config, "bob", ["users"], report)
        self.assertEqual(member.value("authorizedkeysfile", "x"), "c")
        self.assertEqual(other.value("authorizedkeysfile", "x"), "a")
        self.assertEqual(other.value("pubkeyauthentication", "yes"), "yes")
        self.assertIn("bob: sshd_config sets pubkeyauthentication under 'Match Address 10.0.0.1', which cannot be "
                      "evaluated offline", report.warnings)

    def test_group_lists_negation_wins(self) -> None:
        settings = Settings(SshdConfig(), "u", ["wheel", "users"], Report())
        self.assertTrue(settings.any_group_matches("admins,wheel"))
        self.assertFalse(settings.any_group_matches("wheel,!users"))
        self.assertTrue(settings.any_group_matches("us*"))


if __name__ == "__main__":
    unittest.main()
