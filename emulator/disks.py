"""Disk images behind EBS volumes: while a registered volume is attached to an instance, the
instance's device for it is a real loop device on this machine, which commands reach through
DISK_BY_ID_DIR and EBS_DEVICE_DIR (see `environment`).

POST /_emulator/disks {"volumeId": "vol-...", "path": "/abs/disk.img"} registers an image (the
volume must exist; if it is attached already, its loop device is set up at once); DELETE
/_emulator/disks {"volumeId"} releases and forgets it; GET /_emulator/disks lists them with their
loop devices; GET /_emulator/disks/capability tells whether loop devices work here.

The loop device is set up after AttachVolume and released after DetachVolume (at the call, even
where the EC2 extension makes detaching take time), after TerminateInstances for the instance's
volumes, on reset and on shutdown.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Optional

from . import registry
from .request import AwsRequest, AwsResponse

BY_ID_PREFIX = "nvme-Amazon_Elastic_Block_Store_"


@dataclass
class Disk:
    volume_id: str
    path: str
    instance_id: Optional[str] = None
    device: Optional[str] = None  # the attachment's device name, e.g. /dev/sdf
    loop: Optional[str] = None  # e.g. /dev/loop3
    error: Optional[str] = None

    def view(self) -> dict[str, Any]:
        return {"volumeId": self.volume_id, "path": self.path, "instanceId": self.instance_id,
                "device": self.device, "loopDevice": self.loop, "error": self.error}


_disks: dict[str, Disk] = {}
_root = tempfile.mkdtemp(prefix="emulator-disks-")
atexit.register(shutil.rmtree, _root, True)  # after extensions.shutdown() has run the reset hooks


def _losetup(*args: str) -> str:
    done = subprocess.run(["losetup", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"losetup {' '.join(args)} exited {done.returncode}")
    return done.stdout.strip()


def _probe() -> Optional[str]:
    """Why loop devices cannot be used here, or None when a test attach and detach worked."""
    if os.geteuid() != 0:
        return "not running as root"
    if not os.path.exists("/dev/loop-control"):
        return "no /dev/loop-control"
    if shutil.which("losetup") is None:
        return "losetup not found"
    with tempfile.NamedTemporaryFile(prefix="emulator-probe-", suffix=".img") as image:
        image.truncate(1 << 20)
        image.flush()
        try:
            _losetup("-d", _losetup("--find", "--show", image.name))
        except (OSError, subprocess.SubprocessError) as err:
            return f"losetup failed: {err}"
    return None


try:
    _unavailable = _probe()
except Exception as err:  # noqa: BLE001 - any surprise means no loop devices, not no emulator
    _unavailable = f"probe failed: {type(err).__name__}: {err}"
if _unavailable:
    print(f"disks: loop devices unavailable: {_unavailable}", file=sys.stderr, flush=True)


def _volume(volume_id: str) -> Any:
    from moto.ec2.models import ec2_backends

    for regional in list(dict.values(ec2_backends)):
        for backend in list(dict.values(regional)):
            if volume_id in backend.volumes:
                return backend.volumes[volume_id]
    return None


def _attach(disk: Disk, instance_id: str, device: str) -> None:
    _release(disk)
    disk.instance_id, disk.device, disk.error = instance_id, device, None
    if _unavailable:
        disk.error = f"loop devices unavailable: {_unavailable}"
    else:
        try:
            disk.loop = _losetup("--find", "--show", "--partscan", disk.path)
        except (OSError, subprocess.SubprocessError) as err:
            disk.error = str(err)
            print(f"disks: {disk.volume_id}: {err}", file=sys.stderr, flush=True)
    _link(instance_id)


def _release(disk: Disk) -> None:
    instance_id = disk.instance_id
    if disk.loop:
        try:
            _losetup("-d", disk.loop)
        except (OSError, subprocess.SubprocessError) as err:
            print(f"disks: releasing {disk.loop}: {err}", file=sys.stderr, flush=True)
    disk.loop = disk.instance_id = disk.device = None
    if instance_id:
        _link(instance_id)


def _folders(instance_id: str) -> tuple[str, str]:
    base = os.path.join(_root, instance_id)
    return os.path.join(base, "by-id"), os.path.join(base, "ebs")


def _link(instance_id: str) -> None:
    """Rebuilds the instance's two folders of symlinks to its loop devices (and partitions)."""
    by_id, ebs = _folders(instance_id)
    for folder in (by_id, ebs):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    for disk in _disks.values():
        if disk.instance_id != instance_id or not disk.loop:
            continue
        base = os.path.basename(disk.loop)
        volume_name = BY_ID_PREFIX + disk.volume_id.replace("-", "")
        device_name = disk.device.removeprefix("/dev/")
        _symlink(disk.loop, os.path.join(by_id, volume_name))
        _symlink(disk.loop, os.path.join(ebs, device_name))
        for number in _partitions(base):
            partition = f"/dev/{base}p{number}"
            _symlink(partition, os.path.join(by_id, f"{volume_name}-part{number}"))
            _symlink(partition, os.path.join(ebs, f"{device_name}{number}"))


def _symlink(target: str, link: str) -> None:
    """The later attachment wins a device name two volumes share (moto lets a clash through)."""
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(target, link)


def _partitions(loop_name: str) -> list[int]:
    sys_dir = f"/sys/block/{loop_name}"
    if not os.path.isdir(sys_dir):
        return []
    prefix = f"{loop_name}p"
    return sorted(int(e[len(prefix):]) for e in os.listdir(sys_dir) if e.startswith(prefix) and e[len(prefix):].isdigit())


def environment(instance_id: str) -> dict[str, str]:
    """DISK_BY_ID_DIR and EBS_DEVICE_DIR for a command on the instance (folders always exist)."""
    by_id, ebs = _folders(instance_id)
    if not os.path.isdir(by_id):
        _link(instance_id)
    return {"DISK_BY_ID_DIR": by_id, "EBS_DEVICE_DIR": ebs}


@registry.after("ec2", "AttachVolume")
def _after_attach(req: AwsRequest, response: AwsResponse) -> None:
    disk = _disks.get(req.get("VolumeId", ""))
    if disk is not None:
        _attach(disk, req.get("InstanceId", ""), req.get("Device", ""))


@registry.after("ec2", "DetachVolume")
def _after_detach(req: AwsRequest, response: AwsResponse) -> None:
    disk = _disks.get(req.get("VolumeId", ""))
    if disk is not None:
        _release(disk)


@registry.after("ec2", "TerminateInstances")
def _after_terminate(req: AwsRequest, response: AwsResponse) -> None:
    gone = set(req.values("InstanceId"))
    for disk in _disks.values():
        if disk.instance_id in gone:
            _release(disk)


@registry.control("POST", "/disks")
def register(spec: dict) -> tuple[int, object]:
    volume_id, path = spec["volumeId"], spec["path"]
    if not os.path.isabs(path) or not os.path.isfile(path):
        return 400, {"error": f"path must be an existing file given by its absolute path: {path}"}
    volume = _volume(volume_id)
    if volume is None:
        return 404, {"error": f"no volume {volume_id} in the emulator"}
    if volume_id in _disks:
        _release(_disks.pop(volume_id))
    disk = _disks[volume_id] = Disk(volume_id, path)
    if volume.attachment is not None:
        _attach(disk, volume.attachment.instance.id, volume.attachment.device)
    return 200, disk.view()


@registry.control("DELETE", "/disks")
def unregister(spec: dict) -> tuple[int, object]:
    disk = _disks.pop(spec["volumeId"], None)
    if disk is None:
        return 404, {"error": f"no disk image registered for {spec['volumeId']}"}
    _release(disk)
    return 200, disk.view()


@registry.control("GET", "/disks")
def list_disks(_: dict) -> tuple[int, object]:
    return 200, {"disks": [d.view() for d in _disks.values()]}


@registry.control("GET", "/disks/capability")
def capability(_: dict) -> tuple[int, object]:
    return 200, {"loopDevices": _unavailable is None, "reason": _unavailable}


@registry.on_reset
def release_all() -> None:
    for disk in _disks.values():
        _release(disk)
    _disks.clear()
    for entry in os.listdir(_root):
        shutil.rmtree(os.path.join(_root, entry), ignore_errors=True)
