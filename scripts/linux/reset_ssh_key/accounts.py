"""Accounts of the volume: its own /etc/passwd, /etc/group and /etc/shadow, never the helper's."""
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Set

from reset_ssh_key.report import Report

_USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}\$")
_HOME = re.compile(r"/[A-Za-z0-9._@+/-]*")
_ID = re.compile(r"[0-9]{1,10}")
MAX_REPORTED_LINES = 5


def valid_user_name(name: str) -> bool:
    return _USER_NAME.fullmatch(name) is not None


def valid_home(home: str) -> bool:
    return (_HOME.fullmatch(home) is not None and len(home) <= 1024
            and "/../" not in f"/{home}/" and "/./" not in f"/{home}/")


@dataclass
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str


def _passwd_line_problem(fields: List[str]) -> Optional[str]:
    if len(fields) != 7:
        return f"it has {len(fields)} fields instead of 7"
    name, _, uid, gid, _, home, _ = fields
    if not valid_user_name(name):
        return "invalid user name"
    if not _ID.fullmatch(uid) or not _ID.fullmatch(gid) or int(uid) >= 4294967295 or int(gid) >= 4294967295:
        return "invalid uid or gid"
    if not valid_home(home):
        return "invalid home directory"
    return None


def parse_passwd(text: str, report: Report) -> Dict[str, Account]:
    """Valid entries by name, in file order; the first entry of a name wins, as for getpwnam."""
    accounts: Dict[str, Account] = {}
    ignored = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line or line[0] in "#+-":
            continue
        fields = line.split(":")
        problem = _passwd_line_problem(fields)
        if problem is not None:
            ignored += 1
            if ignored <= MAX_REPORTED_LINES:
                report.warn(f"/etc/passwd line {number} ignored: {problem}")
            continue
        name, _, uid, gid, _, home, shell = fields
        if name in accounts:
            continue
        accounts[name] = Account(name, int(uid), int(gid), home if home == "/" else home.rstrip("/"), shell)
    if ignored > MAX_REPORTED_LINES:
        report.warn(f"/etc/passwd: {ignored} lines ignored in all")
    return accounts


class Groups:
    """Group names of each user, computed in one pass over /etc/group (linear in its size)."""

    def __init__(self, text: str) -> None:
        self._by_gid: Dict[str, List[str]] = {}
        self._by_member: Dict[str, List[str]] = {}
        for line in text.split("\n"):
            fields = line.split(":")
            if len(fields) < 4 or not fields[0]:
                continue
            self._by_gid.setdefault(fields[2], []).append(fields[0])
            for member in set(fields[3].split(",")):
                if member:
                    self._by_member.setdefault(member, []).append(fields[0])

    def of(self, account: Account) -> List[str]:
        seen: Set[str] = set()
        names: List[str] = []
        for name in self._by_gid.get(str(account.gid), []) + self._by_member.get(account.name, []):
            if name not in seen:
                seen.add(name)
                names.append(name)
        return names


@dataclass
class Shadow:
    password: str
    expire: str


def parse_shadow(text: str) -> Dict[str, Shadow]:
    entries: Dict[str, Shadow] = {}
    for line in text.split("\n"):
        fields = line.split(":")
        if len(fields) < 2 or not valid_user_name(fields[0]):
            continue
        fields += [""] * (9 - len(fields))
        entries[fields[0]] = Shadow(fields[1], fields[7])
    return entries
