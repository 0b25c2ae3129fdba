"""Status lines for people, then one JSON line for the caller; the exit status.

Every string that leaves the program passes through `clean`: names, paths and reasons can come
from a hostile volume, and a control character in them could rewrite a terminal or a log.
"""
import json
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def clean(text: str) -> str:
    """The text with every non-printable character (control, lone surrogate) replaced by '?'."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else "?" for char in text)


def log(text: str) -> None:
    sys.stdout.write(clean(text) + "\n")
    sys.stdout.flush()


@dataclass
class UserResult:
    name: str
    file: Optional[str]
    action: str  # created, appended, present or refused
    reason: Optional[str] = None
    blocked: bool = False
    revoked: List[str] = field(default_factory=list)  # fingerprints of the keys removed


@dataclass
class Report:
    device: Optional[str] = None
    filesystem: Optional[str] = None
    users: List[UserResult] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    failure: Optional[str] = None
    revoking: bool = False  # --revoke-comment given: each user says what was removed
    cleanup_problems: List[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        """Each distinct warning once (several users may share the cause)."""
        text = clean(text)
        if text not in self.warnings:
            self.warnings.append(text)
            log(f"WARNING: {text}")

    def add_user(self, result: UserResult) -> None:
        self.users.append(result)

    def usable_users(self) -> int:
        return sum(1 for user in self.users if user.action != "refused" and not user.blocked)

    def as_json(self, status: str) -> str:
        users: List[Dict[str, object]] = []
        for user in self.users:
            entry: Dict[str, object] = {
                "name": clean(user.name),
                "file": None if user.file is None else clean(user.file),
                "action": user.action,
                "reason": None if user.reason is None else clean(user.reason),
            }
            if self.revoking:
                entry["revoked"] = [clean(print_) for print_ in user.revoked]
            users.append(entry)
        document = {
            "status": status,
            "device": None if self.device is None else clean(self.device),
            "filesystem": None if self.filesystem is None else clean(self.filesystem),
            "users": users,
            "warnings": [clean(text) for text in self.warnings],
            "error": None if self.failure is None else clean(self.failure),
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True)

    def finish(self, status: int) -> int:
        """Prints the result line and the JSON line; returns the exit status."""
        usable = self.usable_users()
        if self.failure is None and status != 0:
            self.failure = f"failed with status {status}"
        if self.failure is None and usable == 0:
            self.failure = "no user can log in with the key"
            if self.users:
                self.failure += ": see the refusals and warnings above"
        if self.cleanup_problems:  # the volume may still be in use: the caller must know
            self.failure = f"{self.failure or 'the key was added'}; cleanup failed: {' '.join(self.cleanup_problems)}"
        if self.failure is None:
            log(f"RESULT: ok: {usable} user(s) can log in with the key")
            log(self.as_json("ok"))
            return EXIT_OK
        log(f"RESULT: error: {self.failure}")
        log(self.as_json("error"))
        return status if status != 0 else EXIT_FAILED
