"""What would still stop the login once the key is in place: each finding is a warning, and
marks the user as blocked (exit status 1 when no user is left who can log in)."""
import stat
import time
from typing import List, Optional

from reset_ssh_key.accounts import Account, Shadow
from reset_ssh_key.paths import Volume, parent_and_name
from reset_ssh_key.report import Report
from reset_ssh_key.sshd_config import Settings, wildcard_match


class Blockers:
    def __init__(self, name: str, report: Report) -> None:
        self.name = name
        self.report = report
        self.found: List[str] = []

    def add(self, text: str) -> None:
        self.found.append(text)
        self.report.warn(f"{self.name}: {text}")


def check_sshd_access(settings: Settings, name: str, blockers: Blockers, report: Report) -> None:
    if settings.value("pubkeyauthentication", "yes").lower() == "no":
        blockers.add("PubkeyAuthentication is no in the volume's sshd configuration")
    if name == "root":
        value = settings.value("permitrootlogin", "prohibit-password")
        if value.lower() in ("no", "forced-commands-only"):
            blockers.add(f"PermitRootLogin is {value}")
    for pattern in settings.values("denyusers"):
        if not wildcard_match(name, pattern.split("@", 1)[0]):
            continue
        if "@" in pattern:
            report.warn(f"{name}: DenyUsers {pattern} denies some client addresses")
        else:
            blockers.add(f"DenyUsers {pattern} excludes the user")
    allowed = settings.values("allowusers")
    if allowed and not any(wildcard_match(name, pattern.split("@", 1)[0]) for pattern in allowed):
        blockers.add(f"AllowUsers ({' '.join(allowed)}) does not include the user")
    for pattern in settings.values("denygroups"):
        if settings.any_group_matches(pattern):
            blockers.add(f"DenyGroups {pattern} excludes the user")
    allowed_groups = settings.values("allowgroups")
    if allowed_groups and not any(settings.any_group_matches(pattern) for pattern in allowed_groups):
        blockers.add(f"AllowGroups ({' '.join(allowed_groups)}) does not include any group of the user")


def check_strict_modes(volume: Volume, settings: Settings, uid: int, keys_file: str, home: str,
                       blockers: Blockers) -> None:
    """The keys file and each directory up to the home must belong to the user or root and not
    be writable by group or others (sshd's secure path check)."""
    if settings.value("strictmodes", "yes").lower() == "no":
        return
    path = keys_file
    while True:
        info = volume.lstat(path)
        if info is None:
            return
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid not in (0, uid) or mode & 0o022:
            blockers.add(f"StrictModes: {path} (owner uid {info.st_uid}, mode {mode:o}) must belong to the user "
                         "or root and not be writable by group or others")
        if path in (home, "/"):
            return
        path = parent_and_name(path)[0]


def check_account(account: Account, shadow: Optional[Shadow], settings: Settings, blockers: Blockers) -> None:
    if account.shell.rsplit("/", 1)[-1] in ("nologin", "false"):
        blockers.add(f"the login shell is {account.shell}")
    if shadow is None:
        return
    today = int(time.time()) // 86400
    if shadow.expire.isdigit() and int(shadow.expire) <= today:
        blockers.add(f"the account expired on {time.strftime('%Y-%m-%d', time.gmtime(int(shadow.expire) * 86400))}")
    if settings.value("usepam", "no").lower() != "yes" and shadow.password.startswith("!"):
        blockers.add("the account is locked (password starts with !) and sshd does not use PAM")
