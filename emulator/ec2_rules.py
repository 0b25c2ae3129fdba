"""EC2 validation rules that moto does not apply, answered with AWS's error codes and messages.

Each rule is a `before` hook: it returns an AWS error, or None to let the call go on. A rule that
cannot find the instance or volume leaves the call alone: moto answers InvalidInstanceID.NotFound /
InvalidVolume.NotFound itself. A call naming several instances fails as a whole, as on AWS.
Where the wording was found in public reports of AWS's answers, it is AWS's; otherwise (marked
"emulator's wording") the code is AWS's and the message ours.
"""
from __future__ import annotations

from typing import Any, Optional

from . import registry
from .ec2_states import backend, instance_by_id, product_codes, volume_by_id
from .errors import aws_error
from .request import AwsRequest, AwsResponse

ATTACHABLE = ("running", "stopped")


def _instances(req: AwsRequest) -> list[Any]:
    """The named instances, or [] when one is unknown (moto's NotFound answers then)."""
    found = [instance_by_id(req, instance_id) for instance_id in req.values("InstanceId")]
    return [] if any(instance is None for instance in found) else found


def _flag(value: Any) -> bool:
    """moto stores booleans from RunInstances, strings from ModifyInstanceAttribute."""
    return value is True or str(value).lower() == "true"


# --- instance state changes -------------------------------------------------------------------

@registry.before("ec2", "StartInstances")
def start_rules(req: AwsRequest) -> Optional[AwsResponse]:
    for instance in _instances(req):
        if instance.state in ("stopping", "shutting-down", "terminated"):
            return aws_error(req, "IncorrectInstanceState",
                             f"The instance '{instance.id}' is not in a state from which it can be started.")
    return None


@registry.before("ec2", "StopInstances")
def stop_rules(req: AwsRequest) -> Optional[AwsResponse]:
    for instance in _instances(req):
        if instance.state in ("shutting-down", "terminated"):
            return aws_error(req, "IncorrectInstanceState",
                             f"This instance '{instance.id}' is not in a state from which it can be stopped.")
        if instance.state == "pending" and not getattr(instance, "emulator_has_run", False):
            return aws_error(req, "IncorrectInstanceState",
                             f"Instance '{instance.id}' cannot be stopped as it has never reached the 'running' state.")
        if instance.state == "stopped":
            continue  # stopping a stopped instance succeeds and changes nothing
        if _flag(getattr(instance, "disable_api_stop", False)):
            return aws_error(req, "OperationNotPermitted", f"The instance '{instance.id}' may not be stopped. "
                             "Modify its 'disableApiStop' instance attribute and try again.")
        if getattr(instance, "emulator_spot_type", None) == "one-time":
            return aws_error(req, "UnsupportedOperation",
                             f"You can't stop the Spot Instance '{instance.id}' because it is associated with a "
                             "one-time Spot Instance request. You can only stop Spot Instances associated with "
                             "persistent Spot Instance requests.")
    return None


@registry.before("ec2", "TerminateInstances")
def terminate_rules(req: AwsRequest) -> Optional[AwsResponse]:
    """moto checks DisableApiTermination one instance at a time, after terminating the ones before."""
    for instance in _instances(req):
        if _flag(getattr(instance, "disable_api_termination", False)) and instance.state != "terminated":
            return aws_error(req, "OperationNotPermitted", f"The instance '{instance.id}' may not be terminated. "
                             "Modify its 'disableApiTermination' instance attribute and try again.")
    return None


# --- volume attachments -----------------------------------------------------------------------

@registry.before("ec2", "AttachVolume")
def attach_rules(req: AwsRequest) -> Optional[AwsResponse]:
    volume, instance = volume_by_id(req, req.get("VolumeId")), instance_by_id(req, req.get("InstanceId"))
    if volume is None or instance is None:
        return None
    device = req.get("Device", "")
    if volume.attachment is not None:
        return aws_error(req, "VolumeInUse", f"{volume.id} is already attached to an instance")
    if instance.state not in ATTACHABLE:
        return aws_error(req, "IncorrectState", f"Instance '{instance.id}' is not 'running'.")
    if volume.availability_zone != instance._placement.zone:
        return aws_error(req, "InvalidVolume.ZoneMismatch",
                         f"The volume '{volume.id}' is not in the same availability zone as instance '{instance.id}'")
    if device in instance.block_device_mapping:
        return aws_error(req, "InvalidParameterValue",
                         f"Invalid value '{device}' for unixDevice. Attachment point {device} is already in use")
    if product_codes(volume) and instance.state != "stopped":
        return aws_error(req, "IncorrectInstanceState", f"Cannot attach volume '{volume.id}' with Marketplace codes "
                         f"as the instance '{instance.id}' is not in the 'stopped' state.")
    return None


@registry.before("ec2", "DetachVolume")
def detach_rules(req: AwsRequest) -> Optional[AwsResponse]:
    volume = volume_by_id(req, req.get("VolumeId"))
    if volume is None:
        return aws_error(req, "InvalidVolume.NotFound", f"The volume '{req.get('VolumeId')}' does not exist.")
    named = req.get("InstanceId")
    if named and instance_by_id(req, named) is None:
        return aws_error(req, "InvalidInstanceID.NotFound", f"The instance ID '{named}' does not exist")
    attachment = volume.attachment
    if attachment is None:
        return aws_error(req, "IncorrectState", f"Volume '{volume.id}' is in the 'available' state.")
    instance, device = attachment.instance, req.get("Device")
    if (named and named != instance.id) or (device and device != attachment.device):
        return aws_error(req, "InvalidAttachment.NotFound",  # emulator's wording
                         f"Volume '{volume.id}' is not attached to instance '{named or instance.id}'"
                         + (f" as device '{device}'" if device else ""))
    if attachment.device == instance.root_device_name and instance.state != "stopped":
        return aws_error(req, "IncorrectState",
                         f"Unable to detach root volume '{volume.id}' from instance '{instance.id}'")
    if product_codes(volume) and instance.state != "stopped":
        return aws_error(req, "IncorrectInstanceState", f"Unable to detach volume '{volume.id}' with Marketplace "
                         f"codes from instance '{instance.id}' as the instance is not in the 'stopped' state.")
    return None


# --- images -----------------------------------------------------------------------------------

@registry.before("ec2", "CreateImage")
def image_rules(req: AwsRequest) -> Optional[AwsResponse]:
    instance = instance_by_id(req, req.get("InstanceId"))
    if instance is None:
        return aws_error(req, "InvalidInstanceID.NotFound", f"The instance ID '{req.get('InstanceId')}' does not exist")
    if instance.state not in ("running", "stopping", "stopped"):
        return aws_error(req, "InvalidParameterValue", f"Invalid value '{instance.id}' for instanceId. "
                         "Instance is not in state 'running' or 'stopping' or 'stopped'")
    name = req.get("Name", "")
    for image in backend(req).amis.values():
        if image.name == name and image.owner_id == req.account:
            return aws_error(req, "InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {image.id}")
    return None
