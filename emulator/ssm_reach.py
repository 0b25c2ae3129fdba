"""Whether an instance's SSM agent can reach SSM, read from the instance's network as AWS has it.

On AWS the agent registers only when it reaches the ssm, ssmmessages and ec2messages endpoints
over HTTPS (AWS docs, Systems Manager "Troubleshooting managed node availability" and "Use VPC
endpoints"). Modelled here:

- a route: the subnet's route table (its explicit association, else the VPC's main table) has a
  0.0.0.0/0 route to an internet gateway and the instance has a public IP, or to a NAT gateway;
  or the VPC has Interface endpoints for all three services with private DNS enabled;
- the instance's security groups allow egress TCP 443;
- DNS: when the VPC's DHCP options name domain name servers other than AmazonProvidedDNS, the
  groups also allow egress TCP and UDP 53 (the agent resolves the endpoints through them);
- an injected agent fault (POST /_emulator/ssm-agent-faults {"tagKey": "...", "instanceId": "..."}):
  matching instances never register, which stands in for what the network cannot show (an
  instance profile still propagating, a proxy).

An agent that cannot reach SSM never registers: DescribeInstanceInformation does not list it.

moto's default VPC has no internet gateway; AWS's has one, and its main route table a 0.0.0.0/0
route to it (AWS docs, "Default VPCs"): `ensure_default_vpc_internet` adds them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import registry
from .request import AwsRequest

SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")
AMAZON_DNS = "AmazonProvidedDNS"


@dataclass
class AgentFault:
    tag_key: Optional[str]
    instance_id: Optional[str]

    def matches(self, instance: Any) -> bool:
        if self.instance_id not in (None, instance.id):
            return False
        return self.tag_key is None or any(t["key"] == self.tag_key for t in instance.get_tags())


_faults: list[AgentFault] = []


def can_reach_ssm(instance: Any) -> bool:
    if any(f.matches(instance) for f in _faults):
        return False
    ec2 = instance.ec2_backend
    subnet = ec2.get_subnet(instance.subnet_id) if instance.subnet_id else None
    if subnet is None:
        return True  # EC2-Classic-like placement: moto only; nothing to read
    vpc = ec2.get_vpc(subnet.vpc_id)
    routed = _has_route(ec2, subnet, instance) or _has_endpoints(ec2, vpc.id, instance.region_name)
    groups = _security_groups(instance)
    if not routed or not _egress_allows(groups, "tcp", 443):
        return False
    if custom_dns_servers(vpc):
        return _egress_allows(groups, "tcp", 53) and _egress_allows(groups, "udp", 53)
    return True


def route_table_of(ec2: Any, subnet: Any) -> Optional[Any]:
    tables = [t for t in ec2.route_tables.values() if t.vpc_id == subnet.vpc_id]
    explicit = next((t for t in tables if subnet.id in t._associations.values()), None)
    return explicit or next((t for t in tables if t.main_association_id is not None), None)


def _has_route(ec2: Any, subnet: Any, instance: Any) -> bool:
    table = route_table_of(ec2, subnet)
    for route in table.routes if table else []:
        if route.destination_cidr_block != "0.0.0.0/0":
            continue
        if route.nat_gateway is not None:
            return True
        gateway_id = getattr(route.gateway, "id", "") or ""
        if gateway_id.startswith("igw-") and instance.public_ip:
            return True
    return False


def _has_endpoints(ec2: Any, vpc_id: str, region: str) -> bool:
    found = {e.service_name for e in ec2.vpc_end_points.values()
             if e.vpc_id == vpc_id and e.vpc_endpoint_type == "Interface" and e.private_dns_enabled
             and e.state == "available"}
    return all(f"com.amazonaws.{region}.{service}" in found for service in SSM_SERVICES)


def custom_dns_servers(vpc: Any) -> list[str]:
    options = getattr(vpc, "dhcp_options", None)
    servers = (options._options.get("domain-name-servers") if options is not None else None) or []
    return [s for s in servers if s != AMAZON_DNS]


def _security_groups(instance: Any) -> list[Any]:
    groups = {g.id: g for g in instance.security_groups}
    for nic in instance.nics.values():
        for group in getattr(nic, "group_set", []) or []:
            groups[group.id] = group
    return list(groups.values())


def _egress_allows(groups: list[Any], protocol: str, port: int) -> bool:
    numbers = {"tcp": "6", "udp": "17"}
    for group in groups:
        for rule in group.egress_rules:
            if rule.ip_protocol not in ("-1", protocol, numbers[protocol]):
                continue
            if rule.ip_protocol != "-1" and not (rule.from_port <= port <= rule.to_port):
                continue
            if rule.ip_range or rule.source_group or rule.prefix_list_id:
                return True
    return False


# --- AWS's default VPC ----------------------------------------------------------------------


def ensure_default_vpc_internet(ec2: Any) -> None:
    """The default VPC's internet gateway and default route, as AWS creates them."""
    vpc = next((v for v in ec2.vpcs.values() if v.is_default), None)
    if vpc is None or getattr(vpc, "emulator_internet", False):
        return
    vpc.emulator_internet = True
    if any(getattr(g.vpc, "id", None) == vpc.id for g in ec2.internet_gateways.values()):
        return
    gateway = ec2.create_internet_gateway()
    ec2.attach_internet_gateway(gateway.id, vpc.id)
    main = next((t for t in ec2.route_tables.values() if t.vpc_id == vpc.id and t.main_association_id), None)
    if main is not None:
        ec2.create_route(main.id, "0.0.0.0/0", gateway_id=gateway.id)


@registry.on_tick
def _default_vpcs() -> None:
    from moto.ec2.models import ec2_backends

    for regional in list(dict.values(ec2_backends)):
        for ec2 in list(dict.values(regional)):
            ensure_default_vpc_internet(ec2)


def _for_request(req: AwsRequest) -> None:
    """A region's backend is created by its first request: its default VPC gets its gateway before any answer."""
    from moto.ec2.models import ec2_backends

    try:
        ec2 = ec2_backends[req.account][req.region]
    except KeyError:
        return None  # not a region moto knows: moto answers
    ensure_default_vpc_internet(ec2)
    return None


for _action in ("DescribeInternetGateways", "DescribeRouteTables", "RunInstances", "DescribeVpcs", "DescribeSubnets"):
    registry.before("ec2", _action)(_for_request)


# --- control ---------------------------------------------------------------------------------


@registry.control("POST", "/ssm-agent-faults")
def add_fault(spec: dict) -> tuple[int, object]:
    _faults.append(AgentFault(tag_key=spec.get("tagKey"), instance_id=spec.get("instanceId")))
    return 200, {"agentFaults": len(_faults)}


@registry.control("DELETE", "/ssm-agent-faults")
def clear_faults(_: dict) -> tuple[int, object]:
    _faults.clear()
    return 200, {"agentFaults": 0}


@registry.on_reset
def _forget() -> None:
    _faults.clear()
