"""The device: partitions, LVM logical volumes, and the filesystems on them.

Logical volumes are mapped from the LVM metadata (read-only) with losetup (one segment) or
dmsetup (several): the volume group is never activated, so one named like the helper's cannot
clash with it. Nothing here mounts; see mounts.py.
"""
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from reset_ssh_key import deadline
from reset_ssh_key.cleanup import Cleanup
from reset_ssh_key.report import Report, log

FILESYSTEMS = ("ext2", "ext3", "ext4", "xfs", "btrfs")
EXTENDED_PARTITION_TYPES = ("0x5", "0xf", "0x85")


class DeviceError(Exception):
    """The device cannot be used: the run fails with this reason."""


@dataclass
class Candidate:
    device: str
    type: str
    name: str
    uuid: str = ""
    label: str = ""
    partuuid: str = ""
    lv: str = ""  # "vg/lv" for a logical volume
    subvolume: str = ""


def refuse_device_in_use(device: str, shown: str) -> None:
    """A device that is mounted or held (device-mapper, md) belongs to someone else."""
    listing = deadline.run(["lsblk", "-nrpo", "NAME,TYPE,MOUNTPOINT", "--", device], f"list {shown}")
    for line in listing.splitlines():
        parts = line.split(" ")
        name, kind = parts[0], parts[1] if len(parts) > 1 else ""
        mountpoint = parts[2] if len(parts) > 2 else ""
        if mountpoint:
            raise DeviceError(f"{name} is mounted at {mountpoint}: refusing to use a device in use")
        if kind not in ("disk", "part", "loop"):
            raise DeviceError(f"{name} ({kind}) sits on {shown}: the device is in use "
                              "(an LVM volume group already active on the helper? deactivate it with vgchange -an)")


def probe(device: str) -> Dict[str, str]:
    """The signature on a block device (low-level probe, no cache)."""
    try:
        output = deadline.run(["blkid", "-p", "-o", "export", "--", device], f"probe {device}")
    except deadline.CommandFailed:
        return {}
    fields: Dict[str, str] = {}
    for line in output.splitlines():
        key, _, value = line.partition("=")
        fields[key] = value
    return fields


class DeviceScan:
    """Collects the filesystem candidates of a device, mapping what must be mapped."""

    def __init__(self, shown: str, cleanup: Cleanup, report: Report) -> None:
        self.shown = shown
        self.cleanup = cleanup
        self.report = report
        self.candidates: List[Candidate] = []

    def collect(self, device: str) -> List[Candidate]:
        table = probe(device).get("PTTYPE", "")
        if table:
            log(f"    {table} partition table")
            self.add_partitions(device)
        else:
            self.add_block_device(device, self.shown)
        return self.candidates

    def add_block_device(self, device: str, name: str, partuuid: str = "", lv: str = "") -> None:
        fields = probe(device)
        kind = fields.get("TYPE", "")
        if kind in FILESYSTEMS:
            log(f"    {name}: {kind}")
            self.candidates.append(Candidate(device, kind, name, fields.get("UUID", ""), fields.get("LABEL", ""),
                                             partuuid, lv))
        elif kind == "LVM2_member":
            log(f"    {name}: LVM physical volume")
            self.add_logical_volumes(device, name)
        elif not kind:
            log(f"    {name}: no filesystem, skipped")
        else:
            log(f"    {name}: {kind}, skipped")

    def map_byte_range(self, device: str, offset: int, size: int, what: str) -> str:
        try:
            mapped = deadline.run(["losetup", "--find", "--show", "--offset", str(offset), "--sizelimit", str(size),
                                   "--", device], f"map {what} with losetup").strip()
        except deadline.CommandFailed as error:
            raise DeviceError(str(error)) from None
        self.cleanup.push("detach", mapped)
        return mapped

    def add_partitions(self, device: str) -> None:
        try:
            table = deadline.run(["partx", "-r", "-g", "-o", "NR,START,SECTORS,TYPE,UUID", "--", device],
                                 f"read the partition table of {self.shown}")
        except deadline.CommandFailed as error:
            raise DeviceError(str(error)) from None
        for line in table.splitlines():
            fields = line.split(" ") + ["", "", "", "", ""]
            number, start, sectors, kind, partuuid = fields[:5]
            if not (number.isdigit() and start.isdigit() and sectors.isdigit()):
                continue
            if kind.lower() in EXTENDED_PARTITION_TYPES:
                continue  # its logical partitions follow
            node = partition_node(device, number)
            if node is None:  # no partition scanning (loop devices): map the partition ourselves
                node = self.map_byte_range(device, int(start) * 512, int(sectors) * 512, f"partition {number}")
            self.add_block_device(node, f"partition {number} ({node})", partuuid)

    def add_logical_volumes(self, pv: str, name: str) -> None:
        if not any(os.access(os.path.join(d, "lvm"), os.X_OK) for d in os.environ.get("PATH", "").split(":")):
            self.report.warn(f"{name} is an LVM physical volume but lvm is not installed on the helper (install lvm2)")
            return
        try:
            volumes = lvm_extent_map(pv)
        except (deadline.CommandFailed, ValueError) as error:
            self.report.warn(f"cannot read the LVM metadata on {name}: {str(error).rsplit(': ', 1)[-1]}")
            return
        for lv, ranges, unsupported in volumes:
            if unsupported:
                log(f"    logical volume {lv}: {unsupported} or spread over other disks, skipped")
                continue
            if len(ranges) == 1:
                mapped: Optional[str] = self.map_byte_range(pv, ranges[0][0], ranges[0][1], f"logical volume {lv}")
            else:
                mapped = self.map_segments(pv, lv, ranges)
                if mapped is None:
                    log(f"    logical volume {lv}: several segments and no device-mapper, skipped")
                    continue
            assert mapped is not None
            self.add_block_device(mapped, f"logical volume {lv} ({mapped})", "", lv)

    def map_segments(self, pv: str, lv: str, ranges: List[Tuple[int, int]]) -> Optional[str]:
        """A logical volume made of several extent ranges: a device-mapper linear table."""
        if not os.path.exists("/dev/mapper/control"):
            return None
        name = f"reset-ssh-key-{os.getpid()}-{len(self.cleanup.actions)}"
        table = ""
        logical = 0
        for start, length in ranges:
            table += f"{logical // 512} {length // 512} linear {pv} {start // 512}\n"
            logical += length
        try:
            deadline.run(["dmsetup", "create", "--noudevsync", name], f"map LVM volume {lv} with dmsetup", stdin=table)
        except deadline.CommandFailed as error:
            raise DeviceError(str(error)) from None
        self.cleanup.push("dm", name)
        try:
            deadline.run(["dmsetup", "mknodes", name], "create the device node")
        except deadline.CommandFailed:
            pass
        return f"/dev/mapper/{name}"


def partition_node(disk: str, number: str) -> Optional[str]:
    """The kernel's node for partition NUMBER of a disk, when it exists (/dev/nvme1n1p1)."""
    base = os.path.basename(disk)
    directory = f"/sys/class/block/{base}"
    try:
        entries = os.listdir(directory)
    except OSError:
        return None
    for entry in sorted(entries):
        if not entry.startswith(base):
            continue
        try:
            with open(f"{directory}/{entry}/partition") as handle:
                if handle.read().strip() != number:
                    continue
        except OSError:
            continue
        node = f"/dev/{entry}"
        if os.path.exists(node):
            return node
    return None


def lvm_extent_map(pv: str) -> List[Tuple[str, List[Tuple[int, int]], str]]:
    """Each LV on a PV: (vg/lv, [(start byte, length)], why unsupported or "")."""
    common = ["--devices", pv, "--readonly", "--noheadings", "--nosuffix", "--units", "b"]
    pe_start = deadline.run(["lvm", "pvs", *common, "-o", "pe_start", "--", pv], "read the LVM metadata").strip()
    if not pe_start.isdigit():
        raise ValueError(f"unexpected pe_start {pe_start!r}")
    segments = deadline.run(["lvm", "lvs", *common, "--separator", "|",
                             "-o", "vg_name,lv_name,segtype,seg_pe_ranges,vg_extent_size"], "read the LVM metadata")
    volumes: List[Tuple[str, List[Tuple[int, int]], str]] = []
    for line in segments.splitlines():
        fields = line.strip().split("|")
        if len(fields) != 5 or not fields[0].strip():
            continue
        vg, lv, segtype, ranges, extent_size = (field.strip() for field in fields)
        name = f"{vg}/{lv}"
        if not volumes or volumes[-1][0] != name:
            volumes.append((name, [], ""))
        current = volumes[-1]
        found = re.fullmatch(r"(.*):([0-9]+)-([0-9]+)", ranges)
        if segtype != "linear" or found is None or found.group(1) != pv or not extent_size.isdigit():
            volumes[-1] = (name, [], current[2] or f"{segtype}")
            continue
        if current[2]:
            continue
        first, last, size = int(found.group(2)), int(found.group(3)), int(extent_size)
        current[1].append((int(pe_start) + first * size, (last - first + 1) * size))
    return volumes
