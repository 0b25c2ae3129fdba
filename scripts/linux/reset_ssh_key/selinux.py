"""SELinux labels: kept on replaced files, ssh_home_t on new ones when the volume uses SELinux.

Labels are read and written as the security.selinux extended attribute on descriptors, so they
work on a helper without SELinux. When a label cannot be set, /.autorelabel asks the volume's
own restorecon to fix it at the next boot.
"""
import os
import re
import stat
from typing import List, Optional

from reset_ssh_key.paths import PathError, Volume
from reset_ssh_key.report import Report

ATTRIBUTE = "security.selinux"
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z0-9_.:,-]+)?")
TEMP_PREFIX = ".reset-ssh-key."


def volume_mode(volume: Volume) -> Optional[str]:
    """SELINUX= of the volume's /etc/selinux/config, None when not configured."""
    try:
        text = volume.read_file("/etc/selinux/config", 1024 * 1024).decode("utf-8", "replace")
    except (PathError, OSError):
        return None
    mode = None
    for line in text.split("\n"):
        found = re.match(r"\s*SELINUX=([a-z]+)", line)
        if found:
            mode = found.group(1)
    return mode


def read_label(fd: int) -> Optional[str]:
    try:
        value = os.getxattr(fd, ATTRIBUTE).rstrip(b"\0").decode("ascii")
    except (OSError, UnicodeDecodeError):
        return None
    return value if _LABEL.fullmatch(value) else None


def write_label(fd: int, label: str) -> bool:
    try:
        os.setxattr(fd, ATTRIBUTE, label.encode() + b"\0")
        return True
    except OSError:
        return False


def ssh_home_label(home_fd: int) -> str:
    """The label restorecon gives ~/.ssh: ssh_home_t, with the SELinux user and level of the home."""
    user, level = "system_u", "s0"
    home_label = read_label(home_fd)
    if home_label:
        parts = home_label.split(":", 3)
        user = parts[0]
        level = parts[3] if len(parts) > 3 and parts[3] else "s0"
    return f"{user}:object_r:ssh_home_t:{level}"


class Labels:
    """What the run did about labels: the volume's mode, and why a relabel is needed."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.relabel_reasons: List[str] = []

    def schedule_relabel(self, reason: str) -> None:
        self.relabel_reasons.append(reason)

    def label_new(self, fd: int, shown: str, home_fd: Optional[int]) -> None:
        """A new file or directory: ssh_home_t in a home, a relabel elsewhere."""
        if not self.enabled:
            return
        if home_fd is None:
            self.schedule_relabel(f"{shown} was created outside a home directory")
        elif not write_label(fd, ssh_home_label(home_fd)):
            self.schedule_relabel(f"the SELinux label of {shown} could not be set")

    def copy(self, source_fd: int, target_fd: int, shown: str) -> None:
        label = read_label(source_fd)
        if label is not None and not write_label(target_fd, label):
            self.schedule_relabel(f"the SELinux label of {shown} could not be kept")

    def apply(self, volume: Volume, report: Report) -> None:
        """Creates /.autorelabel so the volume's own restorecon fixes labels at next boot."""
        if not self.relabel_reasons:
            return
        reason = self.relabel_reasons[0]
        info = volume.lstat("/.autorelabel")
        if info is not None and not stat.S_ISREG(info.st_mode):
            report.warn(f"SELinux relabel needed ({reason}) but /.autorelabel is not a regular file: "
                        "run restorecon -R on the instance")
            return
        if info is None and not _create_autorelabel(volume):
            report.warn(f"SELinux relabel needed ({reason}) but /.autorelabel could not be created: "
                        "run restorecon -R on the instance")
            return
        report.warn(f"SELinux relabel scheduled for the next boot ({reason}): the first boot takes longer and reboots once")


def _create_autorelabel(volume: Volume) -> bool:
    temporary = f"{TEMP_PREFIX}autorelabel.{os.getpid()}"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                     dir_fd=volume.fd)
        os.fchmod(fd, 0o644)
        os.fsync(fd)
        os.close(fd)
        os.rename(temporary, ".autorelabel", src_dir_fd=volume.fd, dst_dir_fd=volume.fd)
        return True
    except OSError:
        try:
            os.unlink(temporary, dir_fd=volume.fd)
        except OSError:
            pass
        return False
