"""SSM agents: which EC2 instances are managed nodes, and DescribeInstanceInformation.

An instance is a managed node when the role of its instance profile has the managed policy
AmazonSSMManagedInstanceCore attached, or an inline policy that allows every action the agent
needs to register and to take and answer Run Command (AGENT_ACTIONS, as iam/helper-policy.json
grants them), looked up live in moto's EC2 and IAM models; a role with a permissions boundary
needs the boundary to allow them too (iam_boundaries.py). Its agent
registers, PingStatus Online, `clock.real_seconds("ssm.register")` after the instance is running,
when it can reach SSM from its network (ssm_reach.py);
once registered it shows ConnectionLost while the instance is not running (pending, stopping,
stopped, shutting-down) and Online again the same delay after it runs again. A terminated
instance, or one without the policy, is not listed.

"Running since" is the EC2 extension's `emulator_running_since` (time.monotonic()) on moto's
Instance; where that is absent, the moment this module first saw the instance running.
"""
from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

from . import clock
from . import iam_boundaries
from . import registry
from . import ssm_reach
from .errors import aws_error
from .request import AwsRequest, AwsResponse

SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
AGENT_VERSION = "3.3.1142.0"
ONLINE, CONNECTION_LOST = "Online", "ConnectionLost"
# What the agent calls to register (UpdateInstanceInformation) and to take and answer a command
# through the ec2messages channel (amazon-ssm-agent's MDS interactor; AWS docs, "Reference:
# ec2messages, ssmmessages, and other API operations").
AGENT_ACTIONS = ("ssm:UpdateInstanceInformation", "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage",
                 "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages",
                 "ec2messages:SendReply")


@dataclass
class Agent:
    first_seen_running: Optional[float] = None  # monotonic; fallback for emulator_running_since
    registered: bool = False
    last_ping: Optional[float] = None  # epoch seconds of the last moment it was Online


@dataclass
class Registration:
    """What SSM knows of one instance at this moment."""

    instance: Any  # moto's ec2 Instance
    status: Optional[str]  # Online, ConnectionLost, or None when SSM does not list it
    online_at: Optional[float]  # monotonic moment the agent is (or will be) Online this run
    last_ping: Optional[float]


_agents: dict[tuple[str, str, str], Agent] = {}


def _ec2_backend(account: str, region: str):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def _all_instances() -> Iterator[tuple[str, str, Any]]:
    """Every instance in every account and region moto has created so far."""
    from moto.ec2.models import ec2_backends

    for account, regional in list(dict.items(ec2_backends)):
        for region, backend in list(dict.items(regional)):
            for reservation in list(backend.reservations.values()):
                for instance in reservation.instances:
                    yield account, region, instance


def find_instance(account: str, region: str, instance_id: str) -> Any:
    for reservation in _ec2_backend(account, region).reservations.values():
        for instance in reservation.instances:
            if instance.id == instance_id:
                return instance
    return None


def has_core_policy(account: str, region: str, instance: Any) -> bool:
    """True when the instance's profile has a role whose policies let the agent take Run Command."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    association = instance.ec2_backend.iam_instance_profile_associations.get(instance.id)
    if association is None:
        return False
    iam = iam_backends[account][get_partition(region)]
    profile = next((p for p in iam.get_instance_profiles() if p.arn == association.iam_instance_profile.arn), None)
    if profile is None:
        return False
    return any(_agent_may_run(account, region, role) for role in profile.roles)


def _agent_may_run(account: str, region: str, role: Any) -> bool:
    """The role's policies grant AGENT_ACTIONS, and so does its permissions boundary if it has one."""
    granted = SSM_CORE_POLICY_ARN in role.managed_policies or _grants_agent(getattr(role, "policies", {}).values())
    boundary = iam_boundaries.boundary_document(account, region, role)
    return granted and (boundary is None or _grants_agent([boundary]))


def _grants_agent(documents: Iterable[Any]) -> bool:
    """Every AGENT_ACTIONS allowed on "*" by these policy documents (Allow statements only, no conditions)."""
    import fnmatch
    import json

    granted: list[str] = []
    for document in documents:
        policy = json.loads(document) if isinstance(document, str) else document
        statements = policy.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            resources = statement.get("Resource", [])
            if statement.get("Effect") != "Allow" or "Condition" in statement or "*" not in (
                    resources if isinstance(resources, list) else [resources]):
                continue
            actions = statement.get("Action", [])
            granted += [a.lower() for a in (actions if isinstance(actions, list) else [actions])]
    return all(any(fnmatch.fnmatchcase(needed.lower(), pattern) for pattern in granted) for needed in AGENT_ACTIONS)


def _running_since(agent: Agent, instance: Any) -> Optional[float]:
    if instance.state != "running":
        return None
    since = getattr(instance, "emulator_running_since", None)
    return since if since is not None else agent.first_seen_running


def _observe(account: str, region: str, instance: Any, now: float) -> Registration:
    key = (account, region, instance.id)
    if instance.state == "terminated":
        _agents.pop(key, None)
        return Registration(instance, None, None, None)
    agent = _agents.setdefault(key, Agent())
    if instance.state != "running":
        agent.first_seen_running = None
    elif agent.first_seen_running is None:
        agent.first_seen_running = now
    if not has_core_policy(account, region, instance):
        return Registration(instance, None, None, agent.last_ping)
    if not ssm_reach.can_reach_ssm(instance):  # the agent never gets through: never (re)registers
        return Registration(instance, CONNECTION_LOST if agent.registered else None, None, agent.last_ping)
    since = _running_since(agent, instance)
    online_at = since + clock.real_seconds("ssm.register") if since is not None else None
    if online_at is not None and now >= online_at:
        agent.registered = True
        agent.last_ping = time.time()
        return Registration(instance, ONLINE, online_at, agent.last_ping)
    return Registration(instance, CONNECTION_LOST if agent.registered else None, online_at, agent.last_ping)


def registration(account: str, region: str, instance_id: str) -> Registration:
    instance = find_instance(account, region, instance_id)
    if instance is None:
        return Registration(None, None, None, None)
    return _observe(account, region, instance, time.monotonic())


@registry.on_tick
def refresh() -> None:
    """Notes first sight of running instances and registers agents whose delay has passed."""
    now = time.monotonic()
    seen = set()
    for account, region, instance in _all_instances():
        seen.add((account, region, instance.id))
        _observe(account, region, instance, now)
    for key in [k for k in _agents if k not in seen]:
        del _agents[key]


@registry.after("ec2", "RunInstances")
def _launched(req: AwsRequest, response: AwsResponse) -> None:
    """moto associates IamInstanceProfile with the first instance of a launch only: give it to all,
    as EC2 does. Then starts their registration delay at the call, not at the next request."""
    arn, name = req.get("IamInstanceProfile.Arn"), req.get("IamInstanceProfile.Name")
    if arn or name:
        backend = _ec2_backend(req.account, req.region)
        for instance_id in re.findall(r"<instanceId>(i-[0-9a-f]+)</instanceId>", response.body.decode()):
            if instance_id not in backend.iam_instance_profile_associations:
                backend.associate_iam_instance_profile(instance_id=instance_id, iam_instance_profile_name=name,
                                                       iam_instance_profile_arn=arn)
    refresh()


@registry.after("ec2", "StartInstances")
def _started(req: AwsRequest, response: AwsResponse) -> None:
    refresh()  # starts the registration delay at the call, not at the next request


@registry.on_reset
def _forget() -> None:
    _agents.clear()


# --- DescribeInstanceInformation -------------------------------------------------------------

_FILTER_KEYS = {"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole",
                "ResourceType", "AssociationStatus"}


def _platform(instance: Any) -> tuple[str, str, str]:
    """(PlatformType, PlatformName, PlatformVersion) from the instance's AMI, as the agent reports."""
    name = _image_lineage_text(instance)
    if (instance.platform or "").lower() == "windows":
        year = (re.search(r"Windows_Server-(\d{4}(?:-R2)?)", name) or [None, "2019"])[1]
        version = {"2012-R2": "6.3.9600", "2016": "10.0.14393", "2019": "10.0.17763", "2022": "10.0.20348", "2025": "10.0.26100"}
        return "Windows", f"Microsoft Windows Server {year.replace('-', ' ')} Datacenter", version.get(year, "10.0.17763")
    for pattern, platform_name, default_version in (
        (r"ubuntu\S*?-(\d+\.\d+)", "Ubuntu", "22.04"),
        (r"RHEL-(\d+\.\d+)", "Red Hat Enterprise Linux Server", "8.6"),
        (r"sles-(\d+)", "SLES", "15"),
        (r"al(20\d\d)-ami", "Amazon Linux", "2023"),
        (r"amzn2-ami", "Amazon Linux", "2"),
        (r"amzn-ami-\S*?(\d{4}\.\d\d)", "Amazon Linux AMI", "2018.03"),
    ):
        match = re.search(pattern, name, re.IGNORECASE)
        if match:
            return "Linux", platform_name, match.group(1) if match.groups() else default_version
    return "Linux", "Amazon Linux", "2"


def _image_lineage_text(instance: Any, depth: int = 5) -> str:
    """The names and descriptions of the instance's AMI and of the AMIs it was made from (an image
    made with CreateImage names its source instance): the agent knows its OS whatever the AMI is
    called, and this is how the emulator knows it for a custom image."""
    images = instance.ec2_backend.describe_images(filters={"image-id": instance.image_id})
    if not images:
        return ""
    image = images[0]
    text = f"{image.name} {image.description}"
    source = getattr(image, "instance", None)
    if depth > 1 and source is not None and source is not instance:
        text += " " + _image_lineage_text(source, depth - 1)
    return text


def _computer_name(instance: Any, platform_type: str) -> str:
    if platform_type == "Windows":
        digest = base64.b32encode(hashlib.sha1(instance.id.encode()).digest()).decode()
        return f"EC2AMAZ-{digest[:7]}"
    return instance.private_dns_name


def information(reg: Registration) -> dict[str, Any]:
    instance = reg.instance
    platform_type, platform_name, platform_version = _platform(instance)
    return {
        "InstanceId": instance.id,
        "PingStatus": reg.status,
        "LastPingDateTime": reg.last_ping,
        "AgentVersion": AGENT_VERSION,
        "IsLatestVersion": False,
        "PlatformType": platform_type,
        "PlatformName": platform_name,
        "PlatformVersion": platform_version,
        "ResourceType": "EC2Instance",
        "IPAddress": instance.private_ip,
        "ComputerName": _computer_name(instance, platform_type),
        "SourceId": instance.id,
        "SourceType": "AWS::EC2::Instance",
    }


def _filters(req: AwsRequest) -> list[tuple[str, list[str]]]:
    found = [(f.get("Key", ""), list(f.get("Values", []))) for f in req.get("Filters") or []]
    for f in req.get("InstanceInformationFilterList") or []:
        if f.get("key") not in _FILTER_KEYS:
            raise ValueError(f.get("key"))
        found.append((f["key"], list(f.get("valueSet", []))))
    for key, _ in found:
        if key not in _FILTER_KEYS and key != "tag-key" and not key.startswith("tag:"):
            raise ValueError(key)
    return found


def _matches(info: dict[str, Any], instance: Any, key: str, values: list[str]) -> bool:
    tags = {t["key"]: t["value"] for t in instance.get_tags()}
    field = {"InstanceIds": "InstanceId", "AgentVersion": "AgentVersion", "PingStatus": "PingStatus",
             "PlatformTypes": "PlatformType", "ResourceType": "ResourceType"}.get(key)
    if field:
        return info[field] in values
    if key == "tag-key":
        return any(v in tags for v in values)
    if key.startswith("tag:"):
        return tags.get(key[4:]) in values
    return False  # ActivationIds, IamRole, AssociationStatus: hybrid nodes and associations only


@registry.replace("ssm", "DescribeInstanceInformation")
def describe_instance_information(req: AwsRequest) -> AwsResponse:
    try:
        filters = _filters(req)
    except ValueError as err:
        return aws_error(req, "InvalidFilterKey", f"The filter key {err} is not valid.")
    max_results = int(req.get("MaxResults") or 50)
    if not 5 <= max_results <= 50:
        return aws_error(req, "ValidationException", f"1 validation error detected: Value '{max_results}' at "
                         "'maxResults' failed to satisfy constraint: Member must have value between 5 and 50")
    now = time.monotonic()
    listed = []
    for instance in sorted(_ec2_backend(req.account, req.region).all_instances(), key=lambda i: (i.launch_time, i.id)):
        reg = _observe(req.account, req.region, instance, now)
        if reg.status is None:
            continue
        info = information(reg)
        if all(_matches(info, instance, key, values) for key, values in filters):
            listed.append(info)
    start = _token_offset(req.get("NextToken"))
    if start is None:
        return aws_error(req, "InvalidNextToken", "The specified token isn't valid.")
    page = listed[start:start + max_results]
    body: dict[str, Any] = {"InstanceInformationList": page}
    if start + max_results < len(listed):
        body["NextToken"] = base64.b64encode(str(start + max_results).encode()).decode()
    return json_response(body)


def _token_offset(token: Optional[str]) -> Optional[int]:
    if not token:
        return 0
    try:
        return int(base64.b64decode(token).decode())
    except ValueError:
        return None


def json_response(body: dict[str, Any]) -> AwsResponse:
    import json
    import uuid

    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return AwsResponse(200, json.dumps(body).encode(), headers)
