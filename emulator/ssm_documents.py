"""Command documents: which document a SendCommand names, its parameters checked and substituted
as SSM does, and the shell steps that result.

Validation (the service, at SendCommand): a parameter the document does not declare, a declared
parameter with no value and no default, a String given more or less than one value, a value
outside allowedValues, failing allowedPattern (the whole value must match, as the pattern of
AWS-RunShellScript's executionTimeout shows), minChars/maxChars, minItems/maxItems, an Integer or
Boolean that does not parse: each is InvalidParameters.

Substitution (the agent, agent/parameters/parameters.go): a string that is exactly `{{ name }}`
becomes the value itself (a StringList stays a list); `{{ name }}` inside a longer string becomes
the value's text (a string as is, anything else as compact JSON); undeclared names stay as written.
runCommand is then flattened to lines and joined with newlines into the script.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

DEFAULT_EXECUTION_TIMEOUT = 3600
MAX_EXECUTION_TIMEOUT = 172800

# The content AWS publishes for AWS-RunShellScript (schema 1.2), which moto does not have.
RUN_SHELL_SCRIPT = {
    "schemaVersion": "1.2",
    "description": "Run a shell script or specify the commands to run.",
    "parameters": {
        "commands": {"type": "StringList", "description": "(Required) Specify a shell script or a command to run.",
                     "minItems": 1, "displayType": "textarea"},
        "workingDirectory": {"type": "String", "default": "", "maxChars": 4096,
                             "description": "(Optional) The path to the working directory on your instance."},
        "executionTimeout": {"type": "String", "default": "3600",
                             "description": "(Optional) The time in seconds for a command to complete before it is "
                                            "considered to have failed. Default is 3600 (1 hour). Maximum is 172800 "
                                            "(48 hours).",
                             "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|"
                                               "(172[0-7][0-9]{2})|(172800)"},
    },
    "runtimeConfig": {"aws:runShellScript": {"properties": [{
        "id": "0.aws:runShellScript", "runCommand": "{{ commands }}",
        "workingDirectory": "{{ workingDirectory }}", "timeoutSeconds": "{{ executionTimeout }}"}]}},
}
# AWS-RunPowerShellScript as AWS publishes it: the same parameters, the aws:runPowerShellScript
# plugin. The emulator cannot run PowerShell: its invocations fail unless a command fault names it.
RUN_POWERSHELL_SCRIPT = {
    **RUN_SHELL_SCRIPT,
    "description": "Run a PowerShell script or specify the paths to scripts to run.",
    "runtimeConfig": {"aws:runPowerShellScript": {"properties": [{
        "id": "0.aws:runPowerShellScript", "runCommand": "{{ commands }}",
        "workingDirectory": "{{ workingDirectory }}", "timeoutSeconds": "{{ executionTimeout }}"}]}},
}
BUILT_IN = {"AWS-RunShellScript": RUN_SHELL_SCRIPT, "AWS-RunPowerShellScript": RUN_POWERSHELL_SCRIPT}


class DocumentError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Document:
    name: str
    version: str
    content: dict[str, Any]


@dataclass
class Step:
    """One plugin of the invocation: GetCommandInvocation's PluginName is `name`."""

    name: str
    action: str
    commands: list[str]
    working_directory: str
    timeout_seconds: int
    on_failure: Optional[str] = None
    skip_reason: Optional[str] = None  # precondition not met: the step does not run


def load(account: str, region: str, name: str, version: Optional[str]) -> Document:
    """The document SendCommand names (a name or an ARN), at the version asked for."""
    name = name.split(":document/")[-1]
    if name in BUILT_IN:
        if version not in (None, "", "$DEFAULT", "$LATEST", "1"):
            raise DocumentError("InvalidDocumentVersion", f"Document {name} has no version {version}.")
        return Document(name, "1", BUILT_IN[name])
    from moto.ssm.models import ssm_backends

    versions = ssm_backends[account][region]._documents.get(name)
    if versions is None:
        raise DocumentError("InvalidDocument", f"Document with name {name} does not exist.")
    document = versions.find(None if version in (None, "", "$DEFAULT") else version, strict=False)
    if document is None:
        raise DocumentError("InvalidDocumentVersion", f"Document {name} has no version {version}.")
    if document.document_type != "Command":
        raise DocumentError("InvalidDocument", f"Document {name} is of type {document.document_type}, not Command.")
    return Document(name, document.document_version, document.content_json)


def resolve_parameters(document: Document, given: dict[str, list[str]]) -> dict[str, Any]:
    """The value of every declared parameter (given, else default), checked as SSM checks them."""
    declared: dict[str, dict[str, Any]] = document.content.get("parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise DocumentError("InvalidParameters", f"Document {document.name} does not support parameters: "
                            f"{', '.join(unknown)}.")
    values = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = _checked(name, spec, given[name])
        elif "default" in spec:
            values[name] = spec["default"]
        else:
            raise DocumentError("InvalidParameters", f"Parameter {name} is required by document {document.name} "
                                "and has no default value.")
    return values


def _invalid(name: str, why: str) -> DocumentError:
    return DocumentError("InvalidParameters", f"Parameter \"{name}\" {why}")


def _checked(name: str, spec: dict[str, Any], given: Any) -> Any:
    kind = spec.get("type", "String")
    items = [str(v) for v in (given if isinstance(given, list) else [given])]
    if kind != "StringList" and kind != "MapList" and len(items) != 1:
        raise _invalid(name, f"is of type {kind} and takes exactly one value, not {len(items)}.")
    if kind == "StringList":
        if len(items) < int(spec.get("minItems", 0)) or ("maxItems" in spec and len(items) > int(spec["maxItems"])):
            raise _invalid(name, f"has {len(items)} items, outside minItems {spec.get('minItems', 0)} / maxItems "
                           f"{spec.get('maxItems', 'none')}.")
    for item in items:
        _check_item(name, spec, item)
    if kind == "StringList":
        return items
    if kind == "Integer":
        if not re.fullmatch(r"-?\d+", items[0]):
            raise _invalid(name, f"\"{items[0]}\" is not an Integer.")
        return int(items[0])
    if kind == "Boolean":
        if items[0].lower() not in ("true", "false"):
            raise _invalid(name, f"\"{items[0]}\" is not a Boolean.")
        return items[0].lower() == "true"
    if kind in ("StringMap", "MapList"):
        try:
            parsed = [json.loads(i) for i in items]
        except ValueError:
            raise _invalid(name, f"is of type {kind} and its value is not JSON.") from None
        return parsed if kind == "MapList" else parsed[0]
    return items[0]


def _check_item(name: str, spec: dict[str, Any], item: str) -> None:
    allowed = spec.get("allowedValues")
    if allowed and item not in [str(a) for a in allowed]:
        raise _invalid(name, f"\"{item}\" failed to satisfy constraint: allowedValues {allowed}.")
    pattern = spec.get("allowedPattern")
    try:
        matched = not pattern or re.fullmatch(pattern, item)
    except re.error as err:
        raise DocumentError("InvalidDocumentContent", f"The allowedPattern of parameter {name} is not a regular "
                            f"expression the emulator can use: {err}") from None
    if not matched:
        raise _invalid(name, f"\"{item}\" failed to satisfy constraint: allowedPattern {pattern}.")
    if len(item) < int(spec.get("minChars", 0)) or ("maxChars" in spec and len(item) > int(spec["maxChars"])):
        raise _invalid(name, f"\"{item}\" is {len(item)} characters long, outside minChars "
                       f"{spec.get('minChars', 0)} / maxChars {spec.get('maxChars', 'none')}.")


def substitute(value: Any, parameters: dict[str, Any]) -> Any:
    """The agent's ReplaceParameters: whole-string references keep the value's type."""
    if isinstance(value, str):
        for name, parameter in parameters.items():
            if re.fullmatch(r"\{\{\s*" + re.escape(name) + r"\s*\}\}", value):
                return parameter
        for name, parameter in parameters.items():
            text = parameter if isinstance(parameter, str) else json.dumps(parameter, separators=(",", ":"))
            value = re.sub(r"\{\{\s*" + re.escape(name) + r"\s*\}\}", lambda _: text, value)
        return value
    if isinstance(value, list):
        return [substitute(v, parameters) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, parameters) for k, v in value.items()}
    return value


def _lines(run_command: Any) -> list[str]:
    """The agent's ParseRunCommand: strings and nested lists flattened to lines."""
    if isinstance(run_command, str):
        return [run_command]
    if isinstance(run_command, list):
        return [line for item in run_command for line in _lines(item)]
    return []


def _timeout(value: Any) -> int:
    try:
        seconds = int(str(value))
    except ValueError:
        return DEFAULT_EXECUTION_TIMEOUT
    return seconds if 0 < seconds <= MAX_EXECUTION_TIMEOUT else DEFAULT_EXECUTION_TIMEOUT


def steps(document: Document, parameters: dict[str, Any], platform_type: str) -> list[Step]:
    """The document's plugins, parameters substituted, in the order they run."""
    content = substitute({k: v for k, v in document.content.items() if k != "parameters"}, parameters)
    if str(content.get("schemaVersion")) in ("1.2",):
        found = []
        for plugin, config in (content.get("runtimeConfig") or {}).items():
            properties = config.get("properties") if isinstance(config, dict) else None
            for inputs in properties if isinstance(properties, list) else [properties or {}]:
                found.append(_step(plugin, plugin, inputs, None))
        return found
    found = []
    for main_step in content.get("mainSteps") or []:
        step = _step(main_step.get("name", main_step.get("action", "")), main_step.get("action", ""),
                     main_step.get("inputs") or {}, main_step.get("onFailure"))
        precondition = (main_step.get("precondition") or {}).get("StringEquals")
        if precondition and precondition[0] == "platformType" and precondition[1] != platform_type:
            step.skip_reason = (f"Step execution skipped due to unsatisfied preconditions: '{precondition}'. "
                                f"Step name: {step.name}")
        found.append(step)
    return found


def _step(name: str, action: str, inputs: dict[str, Any], on_failure: Optional[str]) -> Step:
    return Step(name=name, action=action, commands=_lines(inputs.get("runCommand")),
                working_directory=str(inputs.get("workingDirectory") or ""),
                timeout_seconds=_timeout(inputs.get("timeoutSeconds", DEFAULT_EXECUTION_TIMEOUT)),
                on_failure=on_failure or inputs.get("onFailure"))
