"""EC2 transitional states: what moto does at once takes the latency profile's time here.

moto changes an instance's or a volume's state instantly and answers with hard-coded states. After
moto has handled a call, the `after` hooks below put moto's objects back in the transitional state
AWS shows (and answer with AWS's CurrentState / PreviousState), then `clock.later` schedules the
final state:

  instance  pending -> running         RunInstances, StartInstances   "instance.start"
            stopping -> stopped        StopInstances                  "instance.stop"
                                       StopInstances Force=true       "instance.forceStop"
            shutting-down -> terminated  TerminateInstances           "instance.terminate"
  volume    attaching -> attached      AttachVolume                   "volume.attach"
            detaching -> available     DetachVolume                   "volume.detach"

Contract with the SSM extension: an instance that reaches `running` gets
`emulator_running_since` (a time.monotonic() moment) on moto's Instance; leaving running sets it to
None. A reboot (RebootInstances, CreateImage without NoReboot) sets it anew: the agent reconnects.

RunInstances also attaches the root volume at the image's RootDeviceName (moto: /dev/sda1) and
gives launch-time volumes DeleteOnTermination true unless the request says otherwise. A terminating
instance keeps its volumes attached until it is terminated; then those with DeleteOnTermination
are deleted and the others become available.

  snapshot  pending -> completed       CreateSnapshot(s)              "snapshot.create"
  image     pending -> available       CreateImage (its snapshots complete with it)  "image.create"

CreateImage snapshots the instance's actual EBS volumes (moto: one 15 GiB /dev/sda1 snapshot) and
accepts snapshot TagSpecifications (moto: HTTP 500).
"""
from __future__ import annotations

import re
import time
import uuid
from typing import Any, Callable, Optional
from xml.sax.saxutils import escape

from . import clock
from . import registry
from .errors import aws_error
from .request import AwsRequest, AwsResponse

CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
MOTO_DEFAULT_ROOT = "/dev/sda1"  # where moto attaches the default root volume, whatever the image says
DEFAULT_ROOT_GIB = 8  # moto's default root volume size


# --- shared helpers (ec2_rules and ec2_control use them too) ---------------------------------

def backend(req: AwsRequest) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[req.account][req.region]


def instance_by_id(req: AwsRequest, instance_id: Optional[str]) -> Any:
    return backend(req).get_instance_by_id(instance_id) if instance_id else None


def volume_by_id(req: AwsRequest, volume_id: Optional[str]) -> Any:
    return backend(req).volumes.get(volume_id) if volume_id else None


def remember(req: AwsRequest, key: str, value: Any = None) -> Any:
    """Per-request memory shared by a call's before and after hooks."""
    memory = req.__dict__.setdefault("_ec2_memory", {})
    if value is not None:
        memory[key] = value
    return memory.get(key)


def xml_response(action: str, inner: str) -> AwsResponse:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{NAMESPACE}">'
            f"<requestId>{uuid.uuid4()}</requestId>{inner}</{action}Response>")
    return AwsResponse(200, body.encode(), [("Content-Type", "text/xml;charset=UTF-8")])


def iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def tag_specifications(req: AwsRequest) -> dict[str, dict[str, str]]:
    """TagSpecification.N.ResourceType / .Tag.M.Key / .Value -> {resource type: {key: value}}."""
    found: dict[str, dict[str, str]] = {}
    for key, kind in req.params.items():
        match = re.fullmatch(r"TagSpecification\.(\d+)\.ResourceType", key)
        if not match:
            continue
        prefix, tags = f"TagSpecification.{match.group(1)}.Tag", found.setdefault(kind, {})
        for number in range(1, 1 + sum(1 for k in req.params if re.fullmatch(re.escape(prefix) + r"\.\d+\.Key", k))):
            tags[req.params[f"{prefix}.{number}.Key"]] = req.params.get(f"{prefix}.{number}.Value", "")
    return found


class ProductCode(str):
    """A Marketplace product code moto can both filter on (a string) and serialize (a structure)."""

    def __getitem__(self, key: Any) -> Any:
        if key == "ProductCodeId":
            return str(self)
        if key == "ProductCodeType":
            return "marketplace"
        return str.__getitem__(self, key)


def product_codes(model: Any) -> list[str]:
    """Marketplace codes of a volume, snapshot, image or instance (the emulator's or moto's)."""
    codes = getattr(model, "emulator_product_codes", None)
    if codes is None:
        codes = getattr(model, "product_codes", None) or []
    return [str(code) for code in codes]


def set_product_codes(model: Any, codes: list[str]) -> None:
    model.emulator_product_codes = [ProductCode(code) for code in codes]
    if hasattr(model, "product_codes"):  # images and instances: moto shows and filters these
        model.product_codes = [ProductCode(code) for code in codes]


# --- instance states --------------------------------------------------------------------------

def set_state(instance: Any, name: str) -> None:
    instance._state.name, instance._state.code = name, CODES[name]
    if name != "running":
        instance.emulator_running_since = None


def _begin(instance: Any, name: str) -> None:
    """Starts a new transition: completions scheduled for earlier ones no longer apply."""
    instance.emulator_transition = getattr(instance, "emulator_transition", 0) + 1
    set_state(instance, name)


def _schedule(operation: str, instance: Any, final: str, then: Optional[Callable[[], None]] = None) -> None:
    """After the operation's duration the instance goes from its current state to `final`, unless
    another transition began meanwhile."""
    token, expected = getattr(instance, "emulator_transition", 0), instance.state
    due = time.monotonic() + clock.real_seconds(operation)

    def finish() -> None:
        if getattr(instance, "emulator_transition", 0) != token or instance.state != expected:
            return
        set_state(instance, final)
        if final == "running":
            instance.emulator_running_since = min(due, time.monotonic())
            instance.emulator_has_run = True
        if then:
            then()

    clock.later(operation, finish)


def _state_xml(tag: str, name: str) -> str:
    return f"<{tag}><code>{CODES[name]}</code><name>{name}</name></{tag}>"


def _state_changes(action: str, changes: list[tuple[str, str, str]]) -> AwsResponse:
    items = "".join(f"<item><instanceId>{iid}</instanceId>{_state_xml('currentState', current)}"
                    f"{_state_xml('previousState', previous)}</item>" for iid, current, previous in changes)
    return xml_response(action, f"<instancesSet>{items}</instancesSet>")


def _remember_states(req: AwsRequest) -> None:
    states = {}
    for instance_id in req.values("InstanceId"):
        instance = instance_by_id(req, instance_id)
        if instance is not None:
            states[instance_id] = (instance.state, _mounted(instance))
    remember(req, "prior", states)


def _mounted(instance: Any) -> list[tuple[str, Any, Any, Any]]:
    """(device, block device entry, volume, attachment) of each attached volume, to undo moto's teardown."""
    volumes = instance.ec2_backend.volumes
    found = []
    for device, entry in instance.block_device_mapping.items():
        volume = volumes.get(entry.volume_id)
        if volume is not None and volume.attachment is not None:
            found.append((device, entry, volume, volume.attachment))
    return found


for _action in ("StartInstances", "StopInstances", "TerminateInstances", "RebootInstances"):
    registry.before("ec2", _action)(_remember_states)


@registry.after("ec2", "RunInstances")
def _launched(req: AwsRequest, response: AwsResponse) -> AwsResponse:
    text = response.body.decode()
    match = re.search(r"<reservationId>([^<]+)</reservationId>", text)
    reservation = backend(req).reservations.get(match.group(1)) if match else None
    for instance in reservation.instances if reservation else []:
        _settle_block_devices(req, instance)
        image = backend(req).amis.get(instance.image_id)
        if image is not None and product_codes(image):
            set_product_codes(instance, product_codes(image))
        if req.get("DisableApiTermination") is not None:  # moto ignores it at launch
            instance.disable_api_termination = str(req.get("DisableApiTermination")).lower() == "true"
        if req.get("InstanceMarketOptions.MarketType") == "spot":
            instance.emulator_spot_type = req.get("InstanceMarketOptions.SpotOptions.SpotInstanceType") or "one-time"
        _begin(instance, "pending")
        _schedule("instance.start", instance, "running")
    # A pending instance's volumes are still being attached: AWS lists none in the response.
    text = re.sub(r"<blockDeviceMapping>.*?</blockDeviceMapping>", "<blockDeviceMapping/>", text, flags=re.S)
    return AwsResponse(response.status, text.encode(), response.headers)


def _requested_devices(req: AwsRequest) -> dict[str, Optional[str]]:
    """Device name -> the DeleteOnTermination the request gave (None when it gave none)."""
    devices = {}
    for key, device in req.params.items():
        match = re.fullmatch(r"BlockDeviceMapping\.(\d+)\.DeviceName", key)
        if match:
            devices[device] = req.get(f"BlockDeviceMapping.{match.group(1)}.Ebs.DeleteOnTermination")
    return devices


def _settle_block_devices(req: AwsRequest, instance: Any) -> None:
    """Root volume at the image's root device; launch-time volumes deleted on termination by default."""
    ec2, mapping, root = backend(req), instance.block_device_mapping, instance.root_device_name
    requested = _requested_devices(req)
    if root not in mapping:
        if not requested and MOTO_DEFAULT_ROOT in mapping:
            mapping[root] = mapping.pop(MOTO_DEFAULT_ROOT)
            ec2.volumes[mapping[root].volume_id].attachment.device = root
        else:
            volume = ec2.create_volume(size=DEFAULT_ROOT_GIB, zone_name=instance._placement.zone)
            volume.add_tags(tag_specifications(req).get("volume", {}))
            ec2.attach_volume(volume.id, instance.id, root, True)
    for device, explicit in requested.items():
        if explicit is None and device in mapping:
            mapping[device].delete_on_termination = True
    image, root_volume = ec2.amis.get(instance.image_id), ec2.volumes.get(mapping[root].volume_id)
    if image is not None and root_volume is not None:
        if root_volume.snapshot_id is None:
            root_volume.snapshot_id = _root_snapshot(image)
        if product_codes(image):
            set_product_codes(root_volume, product_codes(image))


def _root_snapshot(image: Any) -> Optional[str]:
    for entry in image.block_device_mappings:
        if entry["DeviceName"] == image.root_device_name:
            return entry["Ebs"].get("SnapshotId")
    return None


@registry.after("ec2", "StartInstances")
def _started(req: AwsRequest, response: AwsResponse) -> AwsResponse:
    changes = []
    for instance_id, (previous, _) in remember(req, "prior").items():
        instance = instance_by_id(req, instance_id)
        if previous == "stopped":
            _begin(instance, "pending")
            changes.append((instance_id, "pending", previous))
            _schedule("instance.start", instance, "running")
            continue
        if previous != "running":  # pending stays pending (the rules refuse the other states)
            set_state(instance, previous)
        changes.append((instance_id, previous, previous))
    return _state_changes("StartInstances", changes)


@registry.after("ec2", "StopInstances")
def _stopped(req: AwsRequest, response: AwsResponse) -> AwsResponse:
    force = str(req.get("Force", "false")).lower() == "true"
    operation = "instance.forceStop" if force else "instance.stop"
    changes = []
    for instance_id, (previous, _) in remember(req, "prior").items():
        instance = instance_by_id(req, instance_id)
        if previous in ("running", "pending"):
            _begin(instance, "stopping")
        else:  # stopping goes on, stopped stays stopped (the rules refuse the other states)
            set_state(instance, previous)
        changes.append((instance_id, instance.state, previous))
        if previous != "stopped" and (previous != "stopping" or force):
            _schedule(operation, instance, "stopped")  # a forced stop ends a stop in progress sooner
    return _state_changes("StopInstances", changes)


@registry.after("ec2", "TerminateInstances")
def _terminated(req: AwsRequest, response: AwsResponse) -> AwsResponse:
    changes = []
    for instance_id, (previous, mounted) in remember(req, "prior").items():
        instance = instance_by_id(req, instance_id)
        _remount(instance, mounted)  # moto detached and deleted them at once
        if previous in ("terminated", "shutting-down"):
            set_state(instance, previous)
            changes.append((instance_id, previous, previous))
            continue
        _begin(instance, "shutting-down")
        changes.append((instance_id, "shutting-down", previous))
        _schedule("instance.terminate", instance, "terminated", lambda i=instance: _release_volumes(i))
    return _state_changes("TerminateInstances", changes)


def _remount(instance: Any, mounted: list[tuple[str, Any, Any, Any]]) -> None:
    volumes = instance.ec2_backend.volumes
    for device, entry, volume, attachment in mounted:
        volumes[volume.id] = volume
        volume.attachment = attachment
        attachment.status = "attached" if attachment.status == "detached" else attachment.status
        instance.block_device_mapping[device] = entry


def _release_volumes(instance: Any) -> None:
    """At termination: volumes with DeleteOnTermination are deleted, the others become available."""
    ec2 = instance.ec2_backend
    for device, entry in list(instance.block_device_mapping.items()):
        volume = ec2.volumes.get(entry.volume_id)
        del instance.block_device_mapping[device]
        if volume is None:
            continue
        if volume.attachment is not None and volume.attachment.instance is instance:
            volume.attachment.status = "detached"
            volume.attachment = None
        if entry.delete_on_termination:
            ec2.volumes.pop(volume.id, None)


@registry.after("ec2", "RebootInstances")
def _rebooted(req: AwsRequest, response: AwsResponse) -> None:
    for instance_id, (previous, _) in remember(req, "prior").items():
        reboot(instance_by_id(req, instance_id), previous)


def reboot(instance: Any, previous: str) -> None:
    """moto sets any instance running on reboot: keep the state; a running one's agent reconnects."""
    set_state(instance, previous)
    if previous == "running":
        instance.emulator_running_since = time.monotonic()


# --- volume attachments -----------------------------------------------------------------------

@registry.after("ec2", "AttachVolume")
def _attaching(req: AwsRequest, response: AwsResponse) -> None:
    volume = volume_by_id(req, req.get("VolumeId"))
    attachment = volume.attachment if volume is not None else None
    if attachment is None:
        return
    entry = attachment.instance.block_device_mapping.get(attachment.device)
    attachment.status = "attaching"
    if entry is not None:
        entry.status = "attaching"

    def attached() -> None:
        if volume.attachment is attachment and attachment.status == "attaching":
            attachment.status = "attached"
            if entry is not None:
                entry.status = "in-use"  # moto shows an entry "in-use" as attached

    clock.later("volume.attach", attached)


@registry.replace("ec2", "DetachVolume")
def _detach(req: AwsRequest) -> AwsResponse:
    """DetachVolume, with or without InstanceId (moto needs it); ec2_rules refuses what AWS refuses."""
    volume = volume_by_id(req, req.get("VolumeId"))
    if volume is None:
        return aws_error(req, "InvalidVolume.NotFound", f"The volume '{req.get('VolumeId')}' does not exist.")
    attachment = volume.attachment
    if attachment is None:
        return aws_error(req, "IncorrectState", f"Volume '{volume.id}' is in the 'available' state.")
    if attachment.status != "detaching":
        attachment.status = "detaching"
        entry = attachment.instance.block_device_mapping.get(attachment.device)
        if entry is not None:
            entry.status = "detaching"

        def detached() -> None:
            if volume.attachment is attachment:
                attachment.instance.ec2_backend.detach_volume(volume.id, attachment.instance.id, attachment.device)

        clock.later("volume.detach", detached)
    return xml_response("DetachVolume", f"<volumeId>{volume.id}</volumeId><instanceId>{attachment.instance.id}"
                        f"</instanceId><device>{escape(attachment.device)}</device><status>detaching</status>"
                        f"<attachTime>{iso(attachment.attach_time)}</attachTime>")


# --- snapshots and images ---------------------------------------------------------------------

def _progress(snapshot: Any) -> str:
    if snapshot.status != "pending":
        return "100%"
    started, seconds = getattr(snapshot, "emulator_started", None), getattr(snapshot, "emulator_seconds", 0.0)
    if started is None or seconds <= 0:
        return "0%"
    return f"{min(99, int(100 * (time.monotonic() - started) / seconds))}%"


def _image_mappings(image: Any) -> list[dict[str, Any]]:
    """A new image's mappings show no SnapshotId until `image.snapshotIds` has passed: AWS does
    not document when CreateImage's snapshots start, so callers must poll for them."""
    mappings = getattr(image, "emulator_block_device_mappings", None)
    if mappings is None:
        return _MOTO_IMAGE_MAPPINGS.fget(image)
    if time.monotonic() < getattr(image, "emulator_snapshot_ids_at", 0.0):
        return [{**m, "Ebs": {k: v for k, v in m["Ebs"].items() if k != "SnapshotId"}} for m in mappings]
    return mappings


def _patch_moto() -> Any:
    from moto.ec2.models.amis import Ami
    from moto.ec2.models.elastic_block_store import Snapshot

    Snapshot.progress = property(_progress)  # moto: always "100%"
    original = Ami.block_device_mappings  # moto: one 15 GiB snapshot at the root device
    Ami.block_device_mappings = property(_image_mappings)
    return original


_MOTO_IMAGE_MAPPINGS = _patch_moto()


def _pending_snapshots(snapshots: list[Any], operation: str, then: Optional[Callable[[], None]] = None) -> None:
    """Pending until the operation's duration has passed; snapshots taken together complete together."""
    for snapshot in snapshots:
        snapshot.status = "pending"
        snapshot.emulator_started, snapshot.emulator_seconds = time.monotonic(), clock.real_seconds(operation)
        snapshot.emulator_product_codes = [ProductCode(c) for c in product_codes(snapshot.volume)]

    def completed() -> None:
        for snapshot in snapshots:
            snapshot.status = "completed"
        if then:
            then()

    clock.later(operation, completed)


@registry.after("ec2", "CreateSnapshot")
@registry.after("ec2", "CreateSnapshots")
def _snapshotting(req: AwsRequest, response: AwsResponse) -> AwsResponse:
    text = response.body.decode()
    snapshots = backend(req).snapshots
    found = [snapshots[s] for s in re.findall(r"<snapshotId>([^<]+)</snapshotId>", text) if s in snapshots]
    _pending_snapshots(found, "snapshot.create")
    text = re.sub(r"<(status|state)>completed</\1>", r"<\1>pending</\1>", text)
    text = re.sub(r"<progress>100%</progress>", "<progress/>", text)
    return AwsResponse(response.status, text.encode(), response.headers)


@registry.replace("ec2", "CreateImage")
def _create_image(req: AwsRequest) -> AwsResponse:
    """moto's CreateImage, made honest: the instance's volumes become the image's snapshots."""
    from moto.ec2.exceptions import EC2ClientError

    ec2, instance_id = backend(req), req.get("InstanceId")
    specs = tag_specifications(req)
    unknown = [kind for kind in specs if kind not in ("image", "snapshot")]
    if unknown:
        return aws_error(req, "InvalidParameterValue",
                         f"'{unknown[0]}' is not a valid taggable resource type for this operation.")
    try:
        instance = ec2.get_instance(instance_id)
        image = ec2.create_image(instance_id, req.get("Name"), req.get("Description"), tag_specifications=[])
    except EC2ClientError as err:
        return aws_error(req, err.code, err.message)
    image.add_tags(specs.get("image", {}))
    ec2.snapshots.pop(image.ebs_snapshot.id, None)  # moto's stand-in snapshot
    image.root_device_name, image.root_device_type = instance.root_device_name, "ebs"
    source = ec2.amis.get(instance.image_id)
    if source is not None and product_codes(source):
        set_product_codes(image, product_codes(source))
    snapshots, mappings = [], []
    for device, entry in sorted(instance.block_device_mapping.items()):
        volume = ec2.volumes.get(entry.volume_id)
        if volume is None:
            continue
        snapshot = ec2.create_snapshot(volume.id, f"Created by CreateImage({instance_id}) for {image.id}",
                                       from_ami=image.id)
        snapshot.add_tags(specs.get("snapshot", {}))
        snapshots.append(snapshot)
        mappings.append({"DeviceName": device, "Ebs": {
            "SnapshotId": snapshot.id, "VolumeSize": volume.size, "DeleteOnTermination": bool(entry.delete_on_termination),
            "VolumeType": volume.volume_type, "Encrypted": bool(volume.encrypted)}})
    image.emulator_block_device_mappings = mappings
    image.emulator_snapshot_ids_at = time.monotonic() + clock.real_seconds("image.snapshotIds")
    image.state = "pending"
    _pending_snapshots(snapshots, "image.create", lambda: setattr(image, "state", "available"))
    if str(req.get("NoReboot", "false")).lower() != "true" and instance.state == "running":
        reboot(instance, "running")
    return xml_response("CreateImage", f"<imageId>{image.id}</imageId>")
