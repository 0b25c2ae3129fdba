"""SSM Run Command API over commands.py: SendCommand, ListCommands, ListCommandInvocations,
GetCommandInvocation and CancelCommand replace moto's (which runs nothing, reports Success and
targets every instance in the region), in the shapes AWS returns.
"""
from __future__ import annotations

import base64
import datetime
import math
from typing import Any, Optional

from . import commands
from . import registry
from . import ssm_agents
from . import ssm_documents
from .commands import Command, Invocation, PluginRun
from .errors import aws_error
from .request import AwsRequest, AwsResponse
from .ssm_agents import json_response

PLUGIN_OUTPUT_CHARS = 2_500  # ListCommandInvocations CommandPlugins[].Output, as the agent builds it
DEFAULT_TIMEOUT_SECONDS = 3600


def _validation(req: AwsRequest, field: str, value: Any, constraint: str) -> AwsResponse:
    return aws_error(req, "ValidationException", f"1 validation error detected: Value '{value}' at '{field}' "
                     f"failed to satisfy constraint: {constraint}")


@registry.replace("ssm", "SendCommand")
def send_command(req: AwsRequest) -> AwsResponse:
    name = req.get("DocumentName")
    if not name:
        return _validation(req, "documentName", None, "Member must not be null")
    timeout = int(req.get("TimeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
    if not 30 <= timeout <= 2_592_000:
        return _validation(req, "timeoutSeconds", timeout, "Member must have value between 30 and 2592000")
    instance_ids = list(dict.fromkeys(req.get("InstanceIds") or []))
    targets = req.get("Targets") or []
    if len(instance_ids) > 50:
        return _validation(req, "instanceIds", instance_ids, "Member must have length less than or equal to 50")
    if not instance_ids and not targets:
        return aws_error(req, "ValidationException", "InstanceIds or Targets must be specified.")
    try:
        document = ssm_documents.load(req.account, req.region, name, req.get("DocumentVersion"))
        values = ssm_documents.resolve_parameters(document, req.get("Parameters") or {})
    except ssm_documents.DocumentError as err:
        return aws_error(req, err.code, err.message)
    targeted = _targets(req, instance_ids, targets)
    if isinstance(targeted, AwsResponse):
        return targeted
    steps = {iid: ssm_documents.steps(document, values, ssm_agents._platform(reg.instance)[0])
             for iid, reg in targeted.items()}
    request_fields = {k: req.get(k) for k in ("Comment", "MaxConcurrency", "MaxErrors", "OutputS3Region",
                                               "OutputS3BucketName", "OutputS3KeyPrefix", "ServiceRoleArn",
                                               "NotificationConfig", "CloudWatchOutputConfig")}
    request_fields.update(InstanceIds=instance_ids, Targets=targets)
    command = commands.create(Command(req.account, req.region, document.name, req.get("DocumentVersion") or "",
                                      req.get("Parameters") or {}, request_fields, timeout), steps)
    return json_response({"Command": command_view(command, just_sent=True)})


def _targets(req: AwsRequest, instance_ids: list[str], targets: list[dict]) -> dict[str, Any] | AwsResponse:
    """The managed instances the command goes to; an unmanaged instance named by id is an error."""
    named = list(instance_ids)
    found: dict[str, Any] = {}
    for target in targets:
        key, values = target.get("Key", ""), target.get("Values", [])
        if key == "InstanceIds":
            named += values
        elif key == "tag-key" or key.startswith("tag:"):
            for instance in ssm_agents._ec2_backend(req.account, req.region).all_instances():
                tags = {t["key"]: t["value"] for t in instance.get_tags()}
                hit = any(v in tags for v in values) if key == "tag-key" else tags.get(key[4:]) in values
                reg = ssm_agents.registration(req.account, req.region, instance.id)
                if hit and reg.status is not None:
                    found[instance.id] = reg
        else:
            return aws_error(req, "InvalidTarget", f"The emulator does not support target key {key}.")
    bad = []
    for instance_id in dict.fromkeys(named):
        reg = ssm_agents.registration(req.account, req.region, instance_id)
        if reg.status is None:
            bad.append(instance_id)
        else:
            found[instance_id] = reg
    if bad:
        return aws_error(req, "InvalidInstanceId",
                         f"Instances [[{', '.join(bad)}]] not in a valid state for account {req.account}")
    return found


# --- shapes ----------------------------------------------------------------------------------


def _aggregate(command: Command) -> tuple[str, str, dict[str, int]]:
    invocations = command.invocations
    done = [i for i in invocations if i.terminal]
    delivery_timed_out = sum(i.details == "DeliveryTimedOut" for i in done)
    errors = sum(i.status == "Failed" or i.details == "ExecutionTimedOut" for i in done)
    counts = {"TargetCount": len(invocations), "CompletedCount": len(done), "ErrorCount": errors,
              "DeliveryTimedOutCount": delivery_timed_out}
    if len(done) < len(invocations):
        if command.cancelled:
            return "Cancelling", "Cancelling", counts
        started = any(i.status != "Pending" for i in invocations)
        return ("InProgress", "InProgress", counts) if started else ("Pending", "Pending", counts)
    if command.cancelled or any(i.status == "Cancelled" for i in done):
        return "Cancelled", "Cancelled", counts
    if all(i.status == "Success" for i in done):
        return "Success", "Success", counts
    if errors > _allowed_errors(command):
        failed = any(i.status == "Failed" for i in done)
        return ("Failed", "Failed", counts) if failed else ("TimedOut", "ExecutionTimedOut", counts)
    if delivery_timed_out == len(done):
        return "TimedOut", "DeliveryTimedOut", counts
    return "Failed", "Incomplete", counts


def _allowed_errors(command: Command) -> int:
    text = str(command.request.get("MaxErrors") or "0")
    if text.endswith("%"):
        return math.floor(len(command.invocations) * float(text[:-1]) / 100)
    return int(text)


def command_view(command: Command, just_sent: bool = False) -> dict[str, Any]:
    with commands._lock:
        status, details, counts = _aggregate(command)
    request = command.request
    if just_sent:  # AWS's SendCommand response counts nothing yet
        status, details = "Pending", "Pending"
        counts = dict.fromkeys(counts, 0) | {"TargetCount": len(request["InstanceIds"])}
    return {
        "CommandId": command.command_id,
        "DocumentName": command.document_name,
        "DocumentVersion": command.document_version,
        "Comment": request.get("Comment") or "",
        "ExpiresAfter": command.requested + (command.deadline - command.sent),
        "Parameters": command.parameters,
        "InstanceIds": request["InstanceIds"],
        "Targets": request["Targets"],
        "RequestedDateTime": command.requested,
        "Status": status,
        "StatusDetails": details,
        "OutputS3Region": request.get("OutputS3Region") or command.region,
        "OutputS3BucketName": request.get("OutputS3BucketName") or "",
        "OutputS3KeyPrefix": request.get("OutputS3KeyPrefix") or "",
        "MaxConcurrency": request.get("MaxConcurrency") or "50",
        "MaxErrors": request.get("MaxErrors") or "0",
        **counts,
        "ServiceRole": request.get("ServiceRoleArn") or "",
        "NotificationConfig": request.get("NotificationConfig") or
        {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
        "CloudWatchOutputConfig": request.get("CloudWatchOutputConfig") or
        {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        "TimeoutSeconds": command.timeout_seconds,
    }


def _iso(epoch: Optional[float]) -> str:
    if epoch is None:
        return ""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _elapsed(plugin: PluginRun) -> str:
    if plugin.started is None:
        return ""
    import time

    return f"PT{(plugin.ended or time.time()) - plugin.started:.3f}S"


def plugin_output(stdout: str, stderr: str, capacity: int = PLUGIN_OUTPUT_CHARS) -> str:
    """The agent's TruncateOutput: stdout, then stderr under an ERROR title, within `capacity`."""
    truncate_out, truncate_err = "\n---Output truncated---", "\n---Error truncated----"
    title = "\n----------ERROR-------\n" if stderr else ""
    space = capacity - len(title)
    if len(stdout) + len(stderr) < space:
        return stdout + title + stderr
    if len(stdout) > space / 2 and len(stderr) > space / 2:
        half = (space - len(truncate_err) - len(truncate_out)) // 2
        return stdout[:half] + truncate_out + title + stderr[:half] + truncate_err
    if len(stdout) < space / 2:
        return stdout + title + stderr[:space - len(truncate_err) - len(stdout)] + truncate_err
    return stdout[:space - len(truncate_out) - len(stderr)] + truncate_out + title + stderr


def _finished(plugin: PluginRun) -> bool:
    return plugin.status in commands.TERMINAL


def plugin_view(command: Command, plugin: PluginRun) -> dict[str, Any]:
    request = command.request
    return {
        "Name": plugin.step.name,
        "Status": plugin.status,
        "StatusDetails": plugin.details,
        "ResponseCode": plugin.response_code,
        "ResponseStartDateTime": plugin.started,
        "ResponseFinishDateTime": plugin.ended,
        "Output": plugin_output(plugin.stdout, plugin.stderr) if _finished(plugin) else "",
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
        "OutputS3Region": request.get("OutputS3Region") or command.region,
        "OutputS3BucketName": request.get("OutputS3BucketName") or "",
        "OutputS3KeyPrefix": request.get("OutputS3KeyPrefix") or "",
    }


def invocation_view(invocation: Invocation, details: bool) -> dict[str, Any]:
    command = invocation.command
    view = {
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "InstanceName": "",
        "Comment": command.request.get("Comment") or "",
        "DocumentName": command.document_name,
        "DocumentVersion": command.document_version,
        "RequestedDateTime": command.requested,
        "Status": invocation.status,
        "StatusDetails": invocation.details,
        "TraceOutput": "",
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
        "CommandPlugins": [plugin_view(command, p) for p in invocation.plugins] if details else [],
        "ServiceRole": command.request.get("ServiceRoleArn") or "",
        "NotificationConfig": command.request.get("NotificationConfig") or
        {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
        "CloudWatchOutputConfig": command.request.get("CloudWatchOutputConfig") or
        {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
    }
    return view


# --- queries ---------------------------------------------------------------------------------


def _find(req: AwsRequest, command_id: Optional[str]) -> Optional[Command]:
    return next((c for c in commands.listing(req.account, req.region) if c.command_id == command_id), None)


def _filtered(req: AwsRequest, items: list[tuple[Command, str]]) -> list[tuple[Command, str]] | AwsResponse:
    """Applies ListCommands/ListCommandInvocations Filters to (command, status) pairs."""
    for f in req.get("Filters") or []:
        key, value = f.get("key"), f.get("value", "")
        if key in ("InvokedAfter", "InvokedBefore"):
            try:
                moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return aws_error(req, "InvalidFilterValue", f"{value} is not a valid date for {key}.")
            after = key == "InvokedAfter"
            items = [(c, s) for c, s in items if (c.requested >= moment) == after]
        elif key == "Status":
            items = [(c, s) for c, s in items if s == value]
        elif key == "DocumentName":
            items = [(c, s) for c, s in items if c.document_name == value]
        elif key == "ExecutionStage":
            complete = value == "Complete"
            items = [(c, s) for c, s in items if (s in commands.TERMINAL) == complete]
        else:
            return aws_error(req, "InvalidFilterKey", f"The filter key {key} is not valid.")
    return items


def _page(req: AwsRequest, items: list, field: str) -> AwsResponse:
    size = int(req.get("MaxResults") or 50)
    if not 1 <= size <= 50:
        return _validation(req, "maxResults", size, "Member must have value between 1 and 50")
    try:
        start = int(base64.b64decode(req.get("NextToken") or "MA==").decode())
    except ValueError:
        return aws_error(req, "InvalidNextToken", "The specified token isn't valid.")
    body: dict[str, Any] = {field: items[start:start + size]}
    if start + size < len(items):
        body["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
    return json_response(body)


@registry.replace("ssm", "ListCommands")
def list_commands(req: AwsRequest) -> AwsResponse:
    found = commands.listing(req.account, req.region)
    if req.get("CommandId"):
        found = [c for c in found if c.command_id == req.get("CommandId")]
        if not found:
            return aws_error(req, "InvalidCommandId", "Invalid command id.")
    if req.get("InstanceId"):
        found = [c for c in found if c.invocation(req.get("InstanceId"))]
    views = [command_view(c) for c in found]
    items = _filtered(req, [(c, v["Status"]) for c, v in zip(found, views)])
    if isinstance(items, AwsResponse):
        return items
    kept = {id(c) for c, _ in items}
    return _page(req, [v for c, v in zip(found, views) if id(c) in kept], "Commands")


@registry.replace("ssm", "ListCommandInvocations")
def list_command_invocations(req: AwsRequest) -> AwsResponse:
    found = commands.listing(req.account, req.region)
    if req.get("CommandId"):
        found = [c for c in found if c.command_id == req.get("CommandId")]
        if not found:
            return aws_error(req, "InvalidCommandId", "Invalid command id.")
    with commands._lock:
        pairs = [(i, invocation_view(i, bool(req.get("Details")))) for c in found for i in c.invocations
                 if req.get("InstanceId") in (None, i.instance_id)]
    items = _filtered(req, [(i.command, v["Status"]) for i, v in pairs])
    if isinstance(items, AwsResponse):
        return items
    statuses = {(id(c), s) for c, s in items}
    return _page(req, [v for i, v in pairs if (id(i.command), v["Status"]) in statuses], "CommandInvocations")


@registry.replace("ssm", "GetCommandInvocation")
def get_command_invocation(req: AwsRequest) -> AwsResponse:
    command = _find(req, req.get("CommandId"))
    if command is None:
        return aws_error(req, "InvalidCommandId", "Invalid command id.")
    invocation = command.invocation(req.get("InstanceId", ""))
    if invocation is None:
        return aws_error(req, "InvocationDoesNotExist", "An error occurred (InvocationDoesNotExist) when "
                         "calling the GetCommandInvocation operation")
    name = req.get("PluginName")
    plugins = [p for p in invocation.plugins if name in (None, p.step.name)]
    if len(plugins) != 1:
        why = (f"Plugin {name} is not in document {command.document_name}." if name else
               "The document has more than one step: PluginName is required.")
        return aws_error(req, "InvalidPluginName", why)
    with commands._lock:
        plugin = plugins[0]
        status, details = (plugin.status, plugin.details) if name else (invocation.status, invocation.details)
        done = _finished(plugin)
        return json_response({
            "CommandId": command.command_id,
            "InstanceId": invocation.instance_id,
            "Comment": command.request.get("Comment") or "",
            "DocumentName": command.document_name,
            "DocumentVersion": command.document_version,
            "PluginName": plugin.step.name,
            "ResponseCode": plugin.response_code,
            "ExecutionStartDateTime": _iso(plugin.started),
            "ExecutionElapsedTime": _elapsed(plugin),
            "ExecutionEndDateTime": _iso(plugin.ended),
            "Status": status,
            "StatusDetails": details,
            "StandardOutputContent": plugin.stdout if done else "",
            "StandardOutputUrl": "",
            "StandardErrorContent": plugin.stderr if done else "",
            "StandardErrorUrl": "",
            "CloudWatchOutputConfig": command.request.get("CloudWatchOutputConfig") or
            {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        })


@registry.replace("ssm", "CancelCommand")
def cancel_command(req: AwsRequest) -> AwsResponse:
    command = _find(req, req.get("CommandId"))
    if command is None:
        return aws_error(req, "InvalidCommandId", "Invalid command id.")
    commands.cancel(command, list(req.get("InstanceIds") or []))
    return json_response({})
