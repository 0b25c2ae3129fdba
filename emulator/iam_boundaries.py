"""Permissions boundaries as IAM applies them, where moto stores only the ARN.

- CreateRole and PutRolePermissionsBoundary with a boundary that is no managed policy of the
  account (nor an AWS managed one) fail with NoSuchEntity (404): the IAM API reference lists
  NoSuchEntity for both, "a resource entity that does not exist". moto checks only the ARN's form
  and would create the role with a boundary that does not exist. The message is the one AWS
  gives AttachRolePolicy for a missing policy ("Policy <arn> does not exist or is not
  attachable."); the emulator's wording for these two calls.
- A role's effective permissions are what both its policies and its boundary allow (IAM User
  Guide, "Permissions boundaries for IAM entities"): `boundary_document` gives ssm_agents.py the
  boundary's default version, so an agent whose boundary lacks what it needs never registers.
"""
from __future__ import annotations

from typing import Any, Optional

from . import registry
from .errors import aws_error
from .request import AwsRequest, AwsResponse


def _iam(account: str, region: str) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account][get_partition(region)]


def boundary_document(account: str, region: str, role: Any) -> Optional[str]:
    """The default version of the role's boundary policy, or None when it has no boundary."""
    arn = getattr(role, "permissions_boundary_arn", None)
    if not arn:
        return None
    policy = _iam(account, region).managed_policies.get(arn)
    if policy is None:
        return '{"Statement": []}'  # deleted since: allows nothing
    return next(v.document for v in policy.versions if v.version_id == policy.default_version_id)


@registry.before("iam", "CreateRole")
@registry.before("iam", "PutRolePermissionsBoundary")
def boundary_must_exist(req: AwsRequest) -> Optional[AwsResponse]:
    arn = req.get("PermissionsBoundary")
    if not arn or arn in _iam(req.account, req.region).managed_policies:
        return None
    return aws_error(req, "NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)
