"""KMS keys as the key parameter meets them: CreateKey's default KeyUsage, and PutParameter's KeyId
checked as AWS checks it.

CreateKey without KeyUsage makes an ENCRYPT_DECRYPT key ("Default: ENCRYPT_DECRYPT", AWS KMS API
Reference, CreateKey); moto 5.2 leaves it None (moto/kms/models.py Key.__init__), so DescribeKey
answers no KeyUsage for the commonest key there is.

PutParameter encrypts a SecureString with its KMS key at once, so a key that does not exist, is
not Enabled or cannot encrypt fails the call; moto 5.2 stores any KeyId without looking at it
(moto/ssm/models.py put_parameter). AWS answers InvalidKeyId (HTTP 400) with KMS's error inside
the message. The wordings are those of public reports of AWS's answers:
- a missing key: "Key 'arn:aws:kms:…:key/…' does not exist (Service: AWSKMS; Status Code: 400; Error
  Code: NotFoundException; …)" (binxio/aws-ssm-copy#10);
- a missing alias: "Alias arn:aws:kms:…:alias/… is not found. (Service: AWSKMS; …; Error Code:
  NotFoundException; …)" (cloudposse/docs#152);
- a key pending deletion: "arn:aws:kms:…:key/… is pending deletion. (Service: AWSKMS; …; Error Code:
  KMSInvalidStateException; …)" (segmentio/chamber#355, stelligent/mu#345);
- a disabled key: KMS's DisabledException "arn:aws:kms:…:key/… is disabled." (fugue/credstash#86,
  from GenerateDataKey), wrapped the same way (the wrapping: emulator's inference).
Another state (moto has none) and a key that is not symmetric (Parameter Store "only supports
symmetric encryption KMS keys", AWS Systems Manager User Guide): emulator's wording.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from . import registry
from .errors import aws_error
from .request import AwsRequest, AwsResponse


def _kms_error(code: str, message: str) -> str:
    return f"{message} (Service: AWSKMS; Status Code: 400; Error Code: {code}; Request ID: emulator)"


def _backend(key_id: str, req: AwsRequest) -> Any:
    """The KMS backend of the account and region an ARN names, else the caller's."""
    from moto.kms.models import kms_backends

    parts = key_id.split(":")
    if key_id.startswith("arn:") and len(parts) >= 6:
        return kms_backends[parts[4] or req.account][parts[3] or req.region]
    return kms_backends[req.account][req.region]


def _arn(req: AwsRequest, kind: str, name: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:kms:{req.region}:{req.account}:{kind}/{name}"


def key_problem(req: AwsRequest, key_id: str) -> Optional[str]:
    """The InvalidKeyId message for a key that cannot encrypt a SecureString, or None."""
    backend = _backend(key_id, req)
    if key_id.startswith("alias/") or ":alias/" in key_id:
        raw = backend.get_key_id_from_alias(backend.get_alias_name(key_id))
        if raw is None:
            alias = _arn(req, "alias", key_id.removeprefix("alias/"))
            return _kms_error("NotFoundException", f"Alias {alias} is not found.")
    else:
        raw = backend.get_key_id(key_id)
    key = backend.keys.get(raw)
    if key is None:
        return _kms_error("NotFoundException", f"Key '{_arn(req, 'key', key_id)}' does not exist")
    if key.key_state == "Disabled":
        return _kms_error("DisabledException", f"{key.arn} is disabled.")
    if key.key_state == "PendingDeletion":
        return _kms_error("KMSInvalidStateException", f"{key.arn} is pending deletion.")
    if key.key_state != "Enabled":
        return _kms_error("KMSInvalidStateException", f"{key.arn} is {key.key_state}.")
    if key.key_usage != "ENCRYPT_DECRYPT" or key.key_spec != "SYMMETRIC_DEFAULT":
        return _kms_error("InvalidKeyUsageException",
                          f"{key.arn} key usage is {key.key_usage} which is not valid for Encrypt.")
    return None


@registry.before("ssm", "PutParameter")
def secure_string_key(req: AwsRequest) -> Optional[AwsResponse]:
    key_id = req.get("KeyId")
    if not key_id or req.get("Type") != "SecureString":
        return None
    problem = key_problem(req, str(key_id))
    return aws_error(req, "InvalidKeyId", problem) if problem else None


@registry.after("kms", "CreateKey")
def default_key_usage(req: AwsRequest, response: AwsResponse) -> Optional[AwsResponse]:
    if req.get("KeyUsage"):
        return None
    body = response.json()
    metadata = body["KeyMetadata"]
    _backend(metadata["Arn"], req).keys[metadata["KeyId"]].key_usage = "ENCRYPT_DECRYPT"
    metadata["KeyUsage"] = "ENCRYPT_DECRYPT"
    return AwsResponse(response.status, json.dumps(body).encode(), response.headers)
