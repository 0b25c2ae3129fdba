"""AWS managed IAM policies, built once per account and partition instead of at every reset.

Why: the emulator loads moto's ~1,500 AWS managed policies (server.py sets
MOTO_IAM_LOAD_MANAGED_POLICIES: the helper's role needs AmazonSSMManagedInstanceCore). moto builds
them in IAMBackend.__init__, which a reset runs anew: it parses a 2 MB JSON string and makes every
policy object again, about 0.2 s of CPU per reset (0.5 to 0.8 s of wall time on a busy machine),
and the tests reset before each case.

How: the first build for an account and partition is kept as a pristine template that no backend
holds; each new backend (at first use and after every reset) gets copies of it. A copy shares only
what no API call mutates in place (strings, dates, the document); what attaching, tagging or
versioning changes (the attachment count, the tags, the version list) is fresh per copy, so a reset
still forgets every attachment. With the variable unset moto's own loader runs unchanged.
"""
from __future__ import annotations

import copy
from typing import Any

_templates: dict[tuple[str, str], list[Any]] = {}


def _fresh(template: Any) -> Any:
    policy = copy.copy(template)
    policy.attachment_count = 0
    policy.tags = dict(template.tags)
    policy.versions = [copy.copy(version) for version in template.versions]
    return policy


def _patch_iam() -> None:
    from moto.iam.models import IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    build = IAMBackend._init_aws_policies

    def init_aws_policies(self: Any) -> list[Any]:
        if not load_iam_aws_managed_policies():
            return build(self)
        key = (self.account_id, self.region_name)
        if key not in _templates:
            _templates[key] = build(self)
        return [_fresh(template) for template in _templates[key]]

    IAMBackend._init_aws_policies = init_aws_policies


_patch_iam()
