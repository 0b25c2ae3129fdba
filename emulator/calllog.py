"""The log of AWS API calls, read through GET /_emulator/calls by tests and benchmarks."""
from __future__ import annotations

import time
from typing import Any

from . import registry
from .request import AwsRequest, AwsResponse

# Parameters worth showing in the log: identifiers, not payloads.
_KEY_PARAMS = ("InstanceId", "VolumeId", "Device", "ImageId", "SnapshotId", "DocumentName",
               "CommandId", "Name", "Force", "RoleName", "InstanceProfileName", "RoleArn",
               "Parameters",  # SendCommand's document parameters (never a secret: keys travel by reference)
               # What an IAM evaluation of the call needs (test/support/iam-requests.ts): the
               # resources it names and the tags it sets; never a value (PutParameter's Value).
               "InstanceIds", "Resources", "ResourceId", "ResourceType", "Tag", "Tags", "TagSpecification",
               "TagSpecifications", "TagKeys", "IamInstanceProfile", "Path", "PolicyArn", "PolicyName",
               "KeyId", "Overwrite", "Type", "SubnetId", "GroupId", "VpcId", "RouteTableId",
               "InternetGatewayId", "AssociationId", "SecurityGroupId", "KeyName", "PermissionsBoundary")

_calls: list[dict[str, Any]] = []


def record(req: AwsRequest) -> dict[str, Any]:
    # region and accessKeyId: where the call acted and whose credentials signed it.
    entry = {"service": req.service, "operation": req.action, "time": time.time(),
             "region": req.region, "accessKeyId": req.access_key,
             "params": _key_params(req), "status": None, "error": None}
    _calls.append(entry)
    return entry


def finish(entry: dict[str, Any], response: AwsResponse) -> None:
    entry["status"] = response.status
    if response.status >= 300:
        entry["error"] = _error_code(response.body)


def _key_params(req: AwsRequest) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in req.params.items():
        base = key.split(".")[0]
        if base in _KEY_PARAMS:
            found[key] = value
    return found


def _error_code(body: bytes) -> str:
    import re

    text = body.decode("utf-8", "replace")
    match = re.search(r"<Code>([^<]+)</Code>", text) or re.search(r'"__type":\s*"([^"]+)"', text)
    return match.group(1) if match else "unknown"


@registry.control("GET", "/calls")
def list_calls(query: dict) -> tuple[int, object]:
    """?operation=StopInstances&service=ec2&since=<epoch seconds> filter the log."""
    since = float(query.get("since", 0))
    calls = [c for c in _calls if c["time"] >= since
             and query.get("operation") in (None, c["operation"])
             and query.get("service") in (None, c["service"])]
    return 200, {"calls": calls}


@registry.on_reset
def clear() -> None:
    _calls.clear()
