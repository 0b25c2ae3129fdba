"""AWS's public Windows Server AMIs and their SSM parameters, which moto lacks.

Why: the product launches its Windows helper from AWS's public parameter
/aws/service/ami-windows-latest/Windows_Server-<version>-English-Full-Base, choosing a version other
than the target's (lib/helper-image.ts). moto 5.2.1 publishes only the Amazon Linux and ECS
parameters, and its Windows AMIs are from 2017 (2016 and older). Here, for 2016, 2019, 2022 and
2025, in every account and region:

  - an Amazon-owned public AMI `Windows_Server-<version>-English-Full-Base-<RELEASE>`: platform
    windows (PlatformDetails "Windows"), x86_64, root /dev/sda1 on a 30 GiB snapshot;
  - the parameter naming it: type String, data type aws:ec2:image.

How: moto builds both lazily, per account and region, and builds them again at reset (a backend's
reset runs its __init__ anew). So instead of adding objects after the fact, this module extends the
two loaders moto calls: AmiBackend._load_amis (when an EC2 backend is built) and
ParameterDict._check_loading_status (at the first access to a name under a public path). The images
and parameters therefore survive POST /_emulator/reset and need no on_reset hook.

Ids are derived from the region and the image name, not drawn at random: the same after every reset
and every run (a parameter read before a reset names an image that exists after it), different per
region as on AWS. The parameter's value is computed the same way, without the EC2 backend.

Listed after ec2_states in extensions.py: ec2_states makes DescribeImages show an image's
`emulator_block_device_mappings`, which give these images AWS's 30 GiB root.
"""
from __future__ import annotations

import datetime
import hashlib
from typing import Any

VERSIONS = ("2016", "2019", "2022", "2025")
RELEASE = "2026.11.12"  # AWS republishes these monthly; the date is part of the name
AMAZON_OWNER = "801119661308"
PARAMETER_PATH = "/aws/service/ami-windows-latest"
ROOT_DEVICE = "/dev/sda1"
ROOT_GIB = 30
# AWS's descriptions: 2016 and 2019 say "with Desktop Experience", 2022 and 2025 say "Full".
DESCRIPTIONS = {
    "2016": "Microsoft Windows Server 2016 with Desktop Experience Locale English AMI provided by Amazon",
    "2019": "Microsoft Windows Server 2019 with Desktop Experience Locale English AMI provided by Amazon",
    "2022": "Microsoft Windows Server 2022 Full Locale English AMI provided by Amazon",
    "2025": "Microsoft Windows Server 2025 Full Locale English AMI provided by Amazon",
}


def parameter_name(version: str) -> str:
    return f"{PARAMETER_PATH}/Windows_Server-{version}-English-Full-Base"


def image_name(version: str) -> str:
    return f"Windows_Server-{version}-English-Full-Base-{RELEASE}"


def derived_id(prefix: str, region: str, name: str) -> str:
    """`ami-`/`snap-` and 17 hex digits, as AWS's ids, from the kind, region and name: deterministic."""
    return f"{prefix}-{hashlib.sha256(f'{prefix}/{region}/{name}'.encode()).hexdigest()[:17]}"


def image_id(region: str, version: str) -> str:
    return derived_id("ami", region, image_name(version))


def _release_date() -> datetime.datetime:
    return datetime.datetime.strptime(RELEASE, "%Y.%m.%d").replace(hour=2, tzinfo=datetime.timezone.utc)


# --- EC2: the images --------------------------------------------------------------------------

def _add_image(ec2: Any, version: str) -> None:
    """One Amazon Windows image in this account's and region's EC2 backend, as AWS describes it."""
    from moto.ec2.models.amis import Ami

    name, ami_id = image_name(version), image_id(ec2.region_name, version)
    image = Ami(ec2, ami_id, name=name, description=DESCRIPTIONS[version], owner_id=AMAZON_OWNER,
                owner_alias="amazon", public=True, virtualization_type="hvm", architecture="x86_64",
                creation_date=_release_date(), platform="windows", image_location=f"amazon/{name}",
                hypervisor="xen", root_device_type="ebs", root_device_name=ROOT_DEVICE,
                boot_mode=None)  # AWS's Windows AMIs set none: the instance type's default applies
    image.platform_details, image.usage_operation = "Windows", "RunInstances:0002"
    image.ena_support = True
    snapshot = _settle_snapshot(ec2, image)
    image.emulator_block_device_mappings = [{"DeviceName": ROOT_DEVICE, "Ebs": {
        "SnapshotId": snapshot.id, "VolumeSize": ROOT_GIB, "DeleteOnTermination": True,
        "VolumeType": "gp2", "Encrypted": False}}]
    ec2.amis[ami_id] = image


def _settle_snapshot(ec2: Any, image: Any) -> Any:
    """moto's Ami made a 15 GiB snapshot with a random id: 30 GiB and a derived id instead."""
    snapshot = image.ebs_snapshot
    ec2.snapshots.pop(snapshot.id, None)
    snapshot.id = derived_id("snap", ec2.region_name, image.name)
    snapshot.volume.size = ROOT_GIB  # moto's snapshot reports its (deleted) source volume's size
    ec2.snapshots[snapshot.id] = snapshot
    return snapshot


def add_images(ec2: Any) -> None:
    for version in VERSIONS:
        if image_id(ec2.region_name, version) not in ec2.amis:
            _add_image(ec2, version)


def _instance_platform_details(instance: Any) -> Any:
    """An instance shows its image's PlatformDetails, as on AWS (moto shows none); None for images
    that have none (moto's own), so that nothing changes for them."""
    image = instance.ec2_backend.amis.get(instance.image_id)
    return getattr(image, "platform_details", None)


def _patch_ec2() -> None:
    from moto.ec2.models.amis import AmiBackend
    from moto.ec2.models.instances import Instance

    original = AmiBackend._load_amis

    def load_amis(self: Any) -> None:
        original(self)
        add_images(self)

    AmiBackend._load_amis = load_amis
    Instance.platform_details = property(_instance_platform_details)


# --- SSM: the parameters ----------------------------------------------------------------------

def _add_parameters(parameters: Any) -> None:
    """The four parameters in one account's and region's ParameterDict, as moto loads the Linux ones."""
    from moto.ssm.models import Parameter

    modified = _release_date().timestamp()
    for version in VERSIONS:
        name = parameter_name(version)
        if dict.__contains__(parameters, name):  # dict's own: ParameterDict's would come back here
            continue
        dict.__setitem__(parameters, name, [Parameter(
            account_id=parameters.account_id, name=name, value=image_id(parameters.region_name, version),
            parameter_type="String", description=None, allowed_pattern=None, keyid=None,
            last_modified_date=modified, version=1, data_type="aws:ec2:image")])


def _patch_ssm() -> None:
    from moto.ssm.models import ParameterDict

    original = ParameterDict._check_loading_status

    def check_loading_status(self: Any, key: str) -> None:
        original(self, key)
        if str(key or "").startswith(PARAMETER_PATH) and not getattr(self, "emulator_windows_loaded", False):
            self.emulator_windows_loaded = True
            _add_parameters(self)

    ParameterDict._check_loading_status = check_loading_status


def _existing_ec2_backends() -> list[Any]:
    """EC2 backends built before this module was imported (normally none: moto builds them lazily)."""
    from moto.ec2.models import ec2_backends

    return [ec2 for regional in list(dict.values(ec2_backends)) for ec2 in list(dict.values(regional))]


_patch_ec2()
_patch_ssm()
for _ec2 in _existing_ec2_backends():
    add_images(_ec2)
