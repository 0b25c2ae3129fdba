"""Mounting: always nosuid,nodev,noexec, and nosymfollow where the kernel has it (the volume's
devices, programs and symlinks are not the helper's); ext2/3/4 with errors=remount-ro, so a
superblock set to errors=panic cannot panic the helper. A read-only probe writes nothing at all.
"""
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

from reset_ssh_key import deadline
from reset_ssh_key.cleanup import Cleanup
from reset_ssh_key.devices import Candidate, DeviceError
from reset_ssh_key.paths import PathError, Volume, is_os_root
from reset_ssh_key.report import Report, log

_NOSYMFOLLOW: Dict[str, bool] = {}  # filesystem type -> whether the kernel took nosymfollow


def _xfs_uuid_is_mounted(device: str) -> bool:
    try:
        uuid = deadline.run(["blkid", "-p", "-o", "value", "-s", "UUID", "--", device], "probe").strip()
        sources = deadline.run(["findmnt", "-rn", "-t", "xfs", "-o", "SOURCE"], "list mounts").split()
    except deadline.CommandFailed:
        return False
    if not uuid:
        return False
    for source in sources:
        if not source.startswith("/dev/"):
            continue
        try:
            if deadline.run(["blkid", "-p", "-o", "value", "-s", "UUID", "--", source], "probe").strip() == uuid:
                return True
        except deadline.CommandFailed:
            continue
    return False


def mount_options(kind: str, read_only: bool, subvolume: str = "") -> List[str]:
    options = ["nosuid", "nodev", "noexec"]
    if kind.startswith("ext"):
        options.append("errors=remount-ro")
    if read_only:
        options.append("ro")
        options.append({"xfs": "norecovery", "btrfs": "rescue=nologreplay"}.get(kind, "noload"))
    if subvolume:
        options.append(f"subvol={subvolume}")
    return options


def mount_filesystem(device: str, kind: str, target: str, read_only: bool, subvolume: str = "") -> None:
    """Mounts or raises CommandFailed ("cannot mount DEVICE (TYPE): reason")."""
    options = mount_options(kind, read_only, subvolume)
    if kind == "xfs" and _xfs_uuid_is_mounted(device):
        options.append("nouuid")
        if not read_only:
            log(f"    the XFS UUID of {device} is already mounted on this helper: using nouuid")
    command = ["mount", "-r" if read_only else "-w", "-t", kind]
    what = f"mount {device} ({kind})"
    if _NOSYMFOLLOW.get(kind, True):
        try:
            deadline.run(command + ["-o", ",".join(options + ["nosymfollow"]), "--", device, target], what)
            _NOSYMFOLLOW[kind] = True
            return
        except deadline.CommandFailed:
            if kind in _NOSYMFOLLOW:
                raise
            _NOSYMFOLLOW[kind] = False  # an older kernel: retried without it below
    deadline.run(command + ["-o", ",".join(options), "--", device, target], what)


@dataclass
class Mounted:
    root: str
    candidate: Candidate
    candidates: List[Candidate]
    unavailable: Dict[str, str] = field(default_factory=dict)  # mount point -> why not mounted


def _holds_os_root(candidate: Candidate, probe_dir: str, cleanup: Cleanup) -> bool:
    try:
        mount_filesystem(candidate.device, candidate.type, probe_dir, read_only=True)
    except deadline.CommandFailed as error:
        log(f"    {candidate.name}: {error}")
        return False
    cleanup.push("umount", probe_dir)  # until unmounted below: a deadline in between still unmounts
    try:
        volume = Volume(probe_dir)
        try:
            if is_os_root(volume):
                return True
            if candidate.type == "btrfs":
                for entry in sorted(os.listdir(volume.fd)):
                    if not re.fullmatch(r"[A-Za-z0-9@._+-]+", entry) or not volume.is_directory("/" + entry):
                        continue
                    sub = Volume(os.path.join(probe_dir, entry))
                    try:
                        if is_os_root(sub):
                            candidate.subvolume = entry
                            return True
                    finally:
                        sub.close()
            return False
        finally:
            volume.close()
    finally:
        try:
            deadline.run(["umount", "--", probe_dir], f"unmount the probe of {candidate.name}")
        except deadline.CommandFailed as error:
            raise DeviceError(str(error)) from None
        cleanup.actions.remove(("umount", probe_dir))


def choose_root(candidates: List[Candidate], work: str, cleanup: Cleanup, report: Report, shown: str) -> Candidate:
    probe_dir = os.path.join(work, "probe")
    os.mkdir(probe_dir, 0o700)
    cleanup.push("rmdir", probe_dir)
    chosen: Optional[Candidate] = None
    for candidate in candidates:
        if not _holds_os_root(candidate, probe_dir, cleanup):
            continue
        if chosen is None:
            chosen = candidate
        else:
            report.warn(f"{candidate.name} also holds an OS root; using {chosen.name}")
    if chosen is None:
        raise DeviceError(f"no filesystem on {shown} holds an OS root (etc/passwd and etc/os-release)")
    return chosen


def mount_root(chosen: Candidate, work: str, cleanup: Cleanup) -> str:
    root = os.path.join(work, "root")
    os.mkdir(root, 0o700)
    cleanup.push("rmdir", root)
    try:
        mount_filesystem(chosen.device, chosen.type, root, read_only=False, subvolume=chosen.subvolume)
    except deadline.CommandFailed as error:
        raise DeviceError(f"cannot mount the root filesystem read-write: {error}") from None
    cleanup.push("umount", root)
    options = deadline.run(["findmnt", "-n", "-o", "OPTIONS", "--mountpoint", root], "read the mount options")
    if "rw" not in options.strip().split(","):
        raise DeviceError("the root filesystem was mounted read-only")
    extra = f", subvolume {chosen.subvolume}" if chosen.subvolume else ""
    log(f"    OS root: {chosen.name}{extra}, mounted read-write")
    return root


def mapper_name(lv: str) -> str:
    vg, _, name = lv.partition("/")
    return f"{vg.replace('-', '--')}-{name.replace('-', '--')}"


def find_candidate(source: str, candidates: List[Candidate]) -> Optional[Candidate]:
    """The candidate an fstab source names (UUID=, LABEL=, PARTUUID=, /dev/disk/by-*, LVM paths)."""
    source = source.replace('"', "")
    kinds = [("UUID=", "UUID"), ("LABEL=", "LABEL"), ("PARTUUID=", "PARTUUID"),
             ("/dev/disk/by-uuid/", "UUID"), ("/dev/disk/by-label/", "LABEL"), ("/dev/disk/by-partuuid/", "PARTUUID"),
             ("/dev/mapper/", "MAPPER")]
    for prefix, kind in kinds:
        if source.startswith(prefix):
            value = source[len(prefix):]
            break
    else:
        if not re.fullmatch(r"/dev/[^/]+/.+", source):
            return None
        kind, value = "LV", source[len("/dev/"):]
    for candidate in candidates:
        if ((kind == "UUID" and candidate.uuid.lower() == value.lower())
                or (kind == "LABEL" and candidate.label == value)
                or (kind == "PARTUUID" and value and candidate.partuuid.lower() == value.lower())
                or (kind == "LV" and candidate.lv == value)
                or (kind == "MAPPER" and candidate.lv and mapper_name(candidate.lv) == value)):
            return candidate
    return None


def mount_home_filesystems(mounted: Mounted, homes: List[str], cleanup: Cleanup) -> None:
    """Filesystems the volume's fstab mounts over home directories: keys written below an
    unmounted mount point would be hidden at boot."""
    volume = Volume(mounted.root)
    try:
        resolved_homes: Set[str] = set(homes)
        for home in homes:
            try:
                resolved_homes.add(volume.resolve(home).path)
            except PathError:
                pass
        try:
            text = volume.read_file("/etc/fstab", 4 * 1024 * 1024).decode("utf-8", "surrogateescape")
        except (PathError, OSError):
            return
        entries = []
        for line in text.split("\n"):
            fields = line.split()
            if len(fields) < 3 or fields[0].startswith("#") or not fields[1].startswith("/") or fields[1] == "/" \
                    or "\\" in fields[1]:
                continue
            point = fields[1].rstrip("/")
            if any(home == point or home.startswith(point + "/") for home in resolved_homes):
                entries.append((len(fields[1]), fields[0], point, fields[2], fields[3] if len(fields) > 3 else "defaults"))
        if not entries:
            return
        log("==> Filesystems the volume mounts over home directories")
        for _, source, point, kind, options in sorted(entries):
            _mount_fstab_entry(volume, mounted, source, point, kind, options, cleanup)
    finally:
        volume.close()


def _mount_fstab_entry(volume: Volume, mounted: Mounted, source: str, point: str, kind: str, options: str,
                       cleanup: Cleanup) -> None:
    def unavailable(reason: str) -> None:
        mounted.unavailable[point] = reason
        log(f"    {point}: {reason}")

    option_list = options.split(",")
    if "noauto" in option_list:
        return
    if "bind" in option_list or "rbind" in option_list:
        return unavailable("bind mount")
    if kind not in ("ext2", "ext3", "ext4", "xfs", "btrfs", "auto"):
        return unavailable(f"{kind} filesystem")
    candidate = find_candidate(source, mounted.candidates)
    if candidate is None:
        return unavailable(f"{source} is not on this volume")
    subvolume = ""
    for option in option_list:
        found = re.fullmatch(r"subvol=/?([A-Za-z0-9@._+/-]+)", option)
        if found:
            subvolume = found.group(1)
    if candidate is mounted.candidate and not subvolume:
        return None
    try:
        resolved = volume.resolve(point)
    except PathError:
        resolved = None
    if resolved is None or not volume.is_directory(resolved.path):
        return unavailable("mount point missing on the root filesystem")
    # The mount point is a directory reached without following any symlink (resolved above, and
    # the mount has nosymfollow): its helper path is the root's path plus the canonical path.
    target = mounted.root + resolved.path
    try:
        mount_filesystem(candidate.device, candidate.type, target, read_only=False, subvolume=subvolume)
    except deadline.CommandFailed as error:
        return unavailable(str(error))
    cleanup.push("umount", target)
    extra = f" (subvolume {subvolume})" if subvolume else ""
    log(f"    mounted {candidate.name}{extra} at {point}")
    return None
