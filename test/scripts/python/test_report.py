"""report.py: the status lines, the JSON line and the exit status."""
import contextlib
import io
import json
import unittest
from typing import Any

from reset_ssh_key.report import Report, UserResult, clean


class ReportTest(unittest.TestCase):
    def finish(self, report: Report, status: int = 0) -> "tuple[int, dict[str, Any], str]":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = report.finish(status)
        lines = out.getvalue().splitlines()
        return code, json.loads(lines[-1]), out.getvalue()

    def test_control_characters_never_leave(self) -> None:
        self.assertEqual(clean("a\nb\tc\x1b[31m\udcff\u0085é"), "a?b?c?[31m??é")
        report = Report(device="/dev/x\n")
        report.warn("evil\x07 warning")
        report.add_user(UserResult("u", "/home/u/\x1b.ssh", "refused", "why\r", True))
        code, document, text = self.finish(report)
        self.assertEqual(code, 1)
        self.assertEqual(document["device"], "/dev/x?")
        self.assertEqual(document["warnings"], ["evil? warning"])
        self.assertEqual(document["users"], [{"name": "u", "file": "/home/u/?.ssh", "action": "refused", "reason": "why?"}])
        self.assertNotIn("\x1b", text)

    def test_ok_only_when_a_user_can_log_in(self) -> None:
        report = Report(filesystem="xfs", revoking=True)
        report.add_user(UserResult("a", "/f", "created", None, True))
        report.add_user(UserResult("b", "/g", "appended", None, False, ["SHA256:x"]))
        code, document, _ = self.finish(report)
        self.assertEqual((code, document["status"], document["error"]), (0, "ok", None))
        self.assertEqual(document["users"][1]["revoked"], ["SHA256:x"])

    def test_cleanup_problems_fail_the_run(self) -> None:
        report = Report()
        report.add_user(UserResult("b", "/g", "appended"))
        report.cleanup_problems = ["could not unmount /x"]
        code, document, _ = self.finish(report)
        self.assertEqual((code, document["error"]), (1, "the key was added; cleanup failed: could not unmount /x"))


if __name__ == "__main__":
    unittest.main()
