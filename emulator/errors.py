"""AWS-shaped error responses, in the wire format each protocol's SDK parses."""
from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from .request import AwsRequest, AwsResponse

# Status codes AWS uses for codes that are not plain client errors.
_STATUS = {
    "RequestLimitExceeded": 503,
    "ThrottlingException": 400,
    "InternalError": 500,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
}


def aws_error(req: AwsRequest, code: str, message: str, status: int | None = None) -> AwsResponse:
    status = status or _STATUS.get(code, 400)
    request_id = str(uuid.uuid4())
    if req.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)]
        return AwsResponse(status, body, headers)
    if req.service == "ec2":
        body = (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
    else:  # IAM, STS, Auto Scaling: the awsQuery error shape
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    return AwsResponse(status, body, [("Content-Type", "text/xml")])
