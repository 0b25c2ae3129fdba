"""accounts.py: the volume's passwd, group and shadow."""
import unittest

from reset_ssh_key.accounts import Account, Groups, parse_passwd, parse_shadow, valid_home, valid_user_name
from reset_ssh_key.report import Report


class AccountsTest(unittest.TestCase):
    def test_passwd_keeps_valid_entries_first_wins_and_warns(self) -> None:
        report = Report()
        text = "\n".join([
            "root:x:0:0:root:/root:/bin/bash",
            "bad;name:x:1:1::/home/x:/bin/sh",
            "user:x:1000:1000::/home/user/:/bin/bash",
            "user:x:2000:2000::/other:/bin/bash",
            "dots:x:1:1::/home/../etc:/bin/sh",
            "short:x:1",
            "+nis",
        ])
        accounts = parse_passwd(text, report)
        self.assertEqual(list(accounts), ["root", "user"])
        self.assertEqual(accounts["user"], Account("user", 1000, 1000, "/home/user", "/bin/bash"))
        self.assertEqual(report.warnings, ["/etc/passwd line 2 ignored: invalid user name",
                                           "/etc/passwd line 5 ignored: invalid home directory",
                                           "/etc/passwd line 6 ignored: it has 3 fields instead of 7"])

    def test_groups_primary_and_supplementary_in_one_pass(self) -> None:
        groups = Groups("wheel:x:10:user,other\nuser:x:1000:\nstaff:x:50:other\nwheel2:x:11:user")
        self.assertEqual(groups.of(Account("user", 1000, 1000, "/home/user", "")), ["user", "wheel", "wheel2"])

    def test_shadow_and_validators(self) -> None:
        shadow = parse_shadow("user:!!:19000:0:99999:7::1:\nbroken")
        self.assertEqual((shadow["user"].password, shadow["user"].expire), ("!!", "1"))
        self.assertTrue(valid_user_name("machine$"))
        self.assertFalse(valid_user_name("-rf"))
        self.assertFalse(valid_home("/home/$(x)"))


if __name__ == "__main__":
    unittest.main()
