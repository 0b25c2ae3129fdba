"""Marketplace product codes: control routes that give them, and DescribeVolumeAttribute to read them.

moto has no product codes on volumes and shows none for instances. Here:
  POST /_emulator/volumes/product-codes   {"volumeId": "vol-…", "productCodes": ["abc"]}
  POST /_emulator/images/product-codes    {"imageId": "ami-…", "productCodes": ["abc"]}
  POST /_emulator/instances/product-codes {"instanceId": "i-…", "productCodes": ["abc"]}
(optional "account" and "region": where to look first; default 123456789012, us-east-1)
The image's codes go to instances launched from it afterwards (DescribeInstances ProductCodes) and to
their root volumes; an instance's route also gives its root volume the codes. Snapshots and images
made from a volume or instance inherit its codes. ec2_rules refuses to attach or detach a volume
with codes while its instance is not stopped, as AWS does. DescribeImages shows an image's codes;
DescribeVolumeAttribute (productCodes, autoEnableIO; moto: HTTP 500) shows a volume's.
"""
from __future__ import annotations

from typing import Any

from . import registry
from .ec2_states import product_codes, set_product_codes, volume_by_id, xml_response
from .errors import aws_error
from .request import DEFAULT_ACCOUNT, AwsRequest, AwsResponse


def _models(kind: str, spec: dict) -> dict[str, Any]:
    """Every moto EC2 object of a kind ("volumes", "amis") in every account and region, by id; the
    spec's account and region (default 123456789012, us-east-1) even before a call created them."""
    from moto.ec2.models import ec2_backends

    found: dict[str, Any] = dict(getattr(ec2_backends[spec.get("account", DEFAULT_ACCOUNT)][spec.get("region", "us-east-1")], kind))
    for regional in list(dict.values(ec2_backends)):
        for ec2 in list(dict.values(regional)):
            found.update(getattr(ec2, kind))
    return found


def _instance(instance_id: str) -> Any:
    from moto.ec2.models import ec2_backends

    for regional in list(dict.values(ec2_backends)):
        for ec2 in list(dict.values(regional)):
            instance = ec2.get_instance_by_id(instance_id)
            if instance is not None:
                return instance
    return None


def _codes(spec: dict) -> list[str]:
    codes = spec["productCodes"]
    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
        raise ValueError("productCodes must be a list of non-empty strings")
    return codes


@registry.control("POST", "/volumes/product-codes")
def volume_codes(spec: dict) -> tuple[int, object]:
    codes, volume = _codes(spec), _models("volumes", spec).get(spec["volumeId"])
    if volume is None:
        return 404, {"error": f"no volume {spec['volumeId']}"}
    set_product_codes(volume, codes)
    return 200, {"volumeId": volume.id, "productCodes": codes}


@registry.control("POST", "/images/product-codes")
def image_codes(spec: dict) -> tuple[int, object]:
    codes, image = _codes(spec), _models("amis", spec).get(spec["imageId"])
    if image is None:
        return 404, {"error": f"no image {spec['imageId']}"}
    set_product_codes(image, codes)
    return 200, {"imageId": image.id, "productCodes": codes}


@registry.control("POST", "/instances/product-codes")
def instance_codes(spec: dict) -> tuple[int, object]:
    codes, instance = _codes(spec), _instance(spec["instanceId"])
    if instance is None:
        return 404, {"error": f"no instance {spec['instanceId']}"}
    set_product_codes(instance, codes)
    root = instance.block_device_mapping.get(instance.root_device_name)
    volume = instance.ec2_backend.volumes.get(root.volume_id) if root is not None else None
    if volume is not None:
        set_product_codes(volume, codes)
    return 200, {"instanceId": instance.id, "rootVolumeId": volume.id if volume else None, "productCodes": codes}


@registry.replace("ec2", "DescribeVolumeAttribute")
def describe_volume_attribute(req: AwsRequest) -> AwsResponse:
    volume, attribute = volume_by_id(req, req.get("VolumeId")), req.get("Attribute")
    if volume is None:
        return aws_error(req, "InvalidVolume.NotFound", f"The volume '{req.get('VolumeId')}' does not exist.")
    if attribute == "productCodes":
        items = "".join(f"<item><productCode>{code}</productCode><type>marketplace</type></item>"
                        for code in product_codes(volume))
        value = f"<productCodes>{items}</productCodes>"
    elif attribute == "autoEnableIO":
        value = "<autoEnableIO><value>false</value></autoEnableIO>"
    else:
        return aws_error(req, "InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid. "
                         "Unknown attribute.")  # emulator's wording
    return xml_response("DescribeVolumeAttribute", f"<volumeId>{volume.id}</volumeId>{value}")
