"""One AWS API request as the extensions see it, parsed once from the WSGI environ."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qs

DEFAULT_ACCOUNT = "123456789012"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class AwsRequest:
    service: str  # signing name: ec2, ssm, iam, sts, autoscaling, ...
    action: str  # e.g. StopInstances, or SendCommand for JSON targets (AmazonSSM.SendCommand)
    region: str
    account: str
    protocol: str  # "query" (form-encoded) or "json"
    params: dict[str, Any]  # query: flat keys ("InstanceId.1"); json: the decoded object
    body: bytes = b""
    access_key: str = ""  # the signing key's id: whose credentials made the call


    def values(self, prefix: str) -> list[str]:
        """Query-protocol list values: values("InstanceId") -> [InstanceId.1, InstanceId.2, ...]."""
        found = []
        for key, value in self.params.items():
            match = re.fullmatch(re.escape(prefix) + r"\.(\d+)", key)
            if match:
                found.append((int(match.group(1)), value))
        return [value for _, value in sorted(found)]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass
class AwsResponse:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


def parse_request(environ: dict, body: bytes) -> Optional[AwsRequest]:
    """Returns None for anything that is not a SigV4-signed AWS API call (moto-api, metadata)."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not scope:
        return None
    access_key, region, service = scope.group(1), scope.group(2), scope.group(3)
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        params = json.loads(body or b"{}")
        return AwsRequest(service, target.split(".")[-1], region, account, "json", params, body, access_key)
    form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    form.update(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    params = {key: values[0] for key, values in form.items()}
    return AwsRequest(service, params.get("Action", ""), region, account, "query", params, body, access_key)
