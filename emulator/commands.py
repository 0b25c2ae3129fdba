"""Run Command for real: each invocation's steps run on this machine as bash subprocesses
(aws:runPowerShellScript steps under pwsh where it is installed: powershell_runner.py).

Life of an invocation: Pending until delivered: the instance must be Online (ssm_agents) and
`clock.real_seconds("command.delivery")` must have passed since it was both Online and sent; if
SendCommand's TimeoutSeconds (scaled by the profile's timeScale, like every emulated duration)
passes first: TimedOut / DeliveryTimedOut. Delivered: InProgress while the steps run, one after
the other, each in its own process group with the step's timeoutSeconds (the document's
executionTimeout, real seconds: the script is real). Then Success (exit 0), Failed (ResponseCode =
exit code; the agent's line "failed to run commands: exit status N" ends stderr) or TimedOut /
ExecutionTimedOut (process group killed, ResponseCode 137 as the Linux agent reports). CancelCommand
kills it too: Cancelled, 137.

Command faults: POST /_emulator/command-faults {"documentName"?, "instanceId"?, "exitCode": 1,
"stdout": "", "stderr": "", "times": 1, "seconds": 0} makes the next matching invocation(s) end
with that output after `seconds` (real) InProgress, instead of running. documentName is a name
or a glob (`*-reset-document-*`: fnmatch, case-sensitive), so a fault can stand in for one
Pulumi-autonamed document and leave another (a probe) to run. A fault without documentName
stands in for the account's own documents: AWS's built-in documents (AWS-RunShellScript,
AWS-RunPowerShellScript) are faulted only when named. stdout longer than 24,000 characters is
cut there, as GetCommandInvocation cuts it.
"""
from __future__ import annotations

import atexit
import fnmatch
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from . import clock
from . import disks
from . import powershell_runner
from . import registry
from . import ssm_agents
from .ssm_documents import BUILT_IN, Step

MAX_STDOUT_CHARS = 24_000  # GetCommandInvocation StandardOutputContent
MAX_STDERR_CHARS = 8_000  # GetCommandInvocation StandardErrorContent
STOPPED_EXIT_CODE = 137  # the Linux agent's code for a killed (timed out or cancelled) script
TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled"}
_SIGNAL_TEXT = {1: "hangup", 2: "interrupt", 6: "aborted", 9: "killed", 11: "segmentation fault", 13: "broken pipe",
                15: "terminated"}  # as Go's exec error reads them

_lock = threading.RLock()  # guards invocation state; taken after app._lock, never before
_commands: list["Command"] = []
_faults: list["CommandFault"] = []
_generation = 0
_root = tempfile.mkdtemp(prefix="emulator-ssm-")
atexit.register(shutil.rmtree, _root, True)  # after extensions.shutdown() has run the reset hooks
_driver: Optional[threading.Thread] = None


@dataclass
class PluginRun:
    step: Step
    status: str = "Pending"
    details: str = "Pending"
    response_code: int = -1
    stdout: str = ""
    stderr: str = ""
    started: Optional[float] = None  # epoch seconds
    ended: Optional[float] = None

    def end(self, status: str, details: str, code: int, stdout: str = "", stderr: str = "") -> None:
        self.status, self.details, self.response_code = status, details, code
        self.stdout, self.stderr = stdout[:MAX_STDOUT_CHARS], stderr[:MAX_STDERR_CHARS]
        self.started = self.started or time.time()
        self.ended = time.time()


@dataclass
class Invocation:
    command: "Command"
    instance_id: str
    plugins: list[PluginRun]
    status: str = "Pending"
    details: str = "Pending"
    process: Optional[subprocess.Popen] = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass
class Command:
    account: str
    region: str
    document_name: str
    document_version: str
    parameters: dict[str, list[str]]
    request: dict[str, Any]  # SendCommand's own fields echoed back (Comment, MaxErrors, ...)
    timeout_seconds: int
    command_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    requested: float = field(default_factory=time.time)
    sent: float = field(default_factory=time.monotonic)
    deadline: float = 0.0  # monotonic moment delivery times out: TimeoutSeconds at the profile's time scale
    invocations: list[Invocation] = field(default_factory=list)
    cancelled: bool = False
    generation: int = 0

    def __post_init__(self) -> None:
        self.deadline = self.sent + self.timeout_seconds * time_scale()

    def invocation(self, instance_id: str) -> Optional[Invocation]:
        return next((i for i in self.invocations if i.instance_id == instance_id), None)


@dataclass
class CommandFault:
    document_name: Optional[str]
    instance_id: Optional[str]
    exit_code: int
    stdout: str
    stderr: str
    times: int
    seconds: float
    used: int = 0

    def take(self, document_name: str, instance_id: str) -> bool:
        if self.used >= self.times:
            return False
        if self.document_name is not None and not fnmatch.fnmatchcase(document_name, self.document_name):
            return False
        if self.document_name is None and document_name in BUILT_IN:
            return False  # a fault that names no document stands in for the account's own scripts
        if self.instance_id not in (None, instance_id):
            return False
        self.used += 1
        return True


def time_scale() -> float:
    return float(clock.get_profile({})[1].get("timeScale", 1.0))


def create(command: Command, steps_by_instance: dict[str, list[Step]]) -> Command:
    with _lock:
        command.generation = _generation
        for instance_id, steps in steps_by_instance.items():
            command.invocations.append(Invocation(command, instance_id, [PluginRun(s) for s in steps]))
        _commands.append(command)
    advance()
    _ensure_driver()
    return command


def listing(account: str, region: str) -> list[Command]:
    """The account's commands in the region, newest first."""
    with _lock:
        return [c for c in reversed(_commands) if (c.account, c.region) == (account, region)]


# --- delivery --------------------------------------------------------------------------------


@registry.on_tick
def advance() -> None:
    """Times out or delivers every Pending invocation whose moment has come."""
    now = time.monotonic()
    with _lock:
        pending = [i for c in _commands for i in c.invocations if i.status == "Pending"]
    for invocation in pending:
        command = invocation.command
        if now >= command.deadline:
            _end_pending(invocation, "TimedOut", "DeliveryTimedOut")
            continue
        reg = ssm_agents.registration(command.account, command.region, invocation.instance_id)
        if reg.instance is None or reg.instance.state == "terminated":
            _end_pending(invocation, "Failed", "Undeliverable")
        elif reg.status == ssm_agents.ONLINE and now >= max(command.sent, reg.online_at) + clock.real_seconds(
                "command.delivery"):
            _deliver(invocation)


def _end_pending(invocation: Invocation, status: str, details: str) -> None:
    with _lock:
        invocation.status, invocation.details = status, details
        for plugin in invocation.plugins:
            plugin.status, plugin.details = status, details


def _deliver(invocation: Invocation) -> None:
    command = invocation.command
    with _lock:
        if invocation.status != "Pending":
            return
        invocation.status = invocation.details = "InProgress"
        fault = next((f for f in _faults if f.take(command.document_name, invocation.instance_id)), None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SSM_INSTANCE_ID=invocation.instance_id, AWS_SSM_REGION_NAME=command.region)
    env.update(disks.environment(invocation.instance_id))
    target = _run_fault if fault else _run_steps
    threading.Thread(target=target, args=(invocation, fault or env), daemon=True,
                     name=f"ssm-{command.command_id[:8]}-{invocation.instance_id}").start()


def _ensure_driver() -> None:
    """Delivers on time even when no request arrives to tick the pipeline."""
    global _driver
    if _driver is None or not _driver.is_alive():
        _driver = threading.Thread(target=_drive, daemon=True, name="ssm-delivery")
        _driver.start()


def _drive() -> None:
    from . import app

    while True:
        time.sleep(0.02)
        with app._lock:
            with _lock:
                if not any(i.status == "Pending" for c in _commands for i in c.invocations):
                    return
            advance()


# --- execution -------------------------------------------------------------------------------


def _stale(invocation: Invocation) -> bool:
    return invocation.command.generation != _generation


def _run_steps(invocation: Invocation, env: dict[str, str]) -> None:
    stop_reason = None
    for plugin in invocation.plugins:
        with _lock:
            if _stale(invocation):
                return
            if invocation.cancel.is_set():
                plugin.end("Cancelled", "Cancelled", -1)
                continue
            if plugin.step.skip_reason or stop_reason:
                plugin.end("Success", "Success", 0, stdout=plugin.step.skip_reason or stop_reason or "")
                continue
            plugin.status = plugin.details = "InProgress"
            plugin.started = time.time()
        try:
            _execute(invocation, plugin, env)
        except Exception as err:  # noqa: BLE001 - the invocation must end, whatever went wrong here
            _record(invocation, plugin, 1, False, "", "", f"emulator: {type(err).__name__}: {err}")
        if plugin.status != "Success" and plugin.step.on_failure == "exit":
            stop_reason = f"Step execution skipped: step {plugin.step.name} failed and its onFailure is exit."
    _finish(invocation)


def _run_fault(invocation: Invocation, fault: CommandFault) -> None:
    with _lock:
        runnable = [p for p in invocation.plugins if not p.step.skip_reason]
        if runnable:
            runnable[0].status = runnable[0].details = "InProgress"
            runnable[0].started = time.time()
    invocation.cancel.wait(fault.seconds)
    with _lock:
        if _stale(invocation):
            return
        for plugin in invocation.plugins:
            if invocation.cancel.is_set():
                plugin.end("Cancelled", "Cancelled", STOPPED_EXIT_CODE)
            elif runnable and plugin is runnable[0]:
                status = "Success" if fault.exit_code == 0 else "Failed"
                plugin.end(status, status, fault.exit_code, fault.stdout, fault.stderr)
            else:
                plugin.end("Success", "Success", 0, plugin.step.skip_reason or "")
    _finish(invocation)


def _execute(invocation: Invocation, plugin: PluginRun, env: dict[str, str]) -> None:
    step = plugin.step
    folder = os.path.join(_root, invocation.command.command_id, invocation.instance_id,
                          step.name.replace("/", "_").replace(":", "_") or "step")
    os.makedirs(folder, exist_ok=True)
    env = dict(env)
    if step.action == "aws:runPowerShellScript" and powershell_runner.unavailable() is None:
        argv = powershell_runner.prepare(folder, step.commands, env)
    elif step.action != "aws:runShellScript":
        return _record(invocation, plugin, 1, False, "", "", f"the emulator runs only aws:runShellScript steps, "
                       f"not {step.action}")
    else:
        argv = ["bash", os.path.join(folder, "_script.sh")]
        with open(argv[1], "w", encoding="utf-8") as handle:
            handle.write("\n".join(step.commands) + "\n")
    cwd = step.working_directory or folder
    if not os.path.isdir(cwd):
        return _record(invocation, plugin, 1, False, "", "", f"chdir {cwd}: no such file or directory")
    out_path, err_path = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, start_new_session=True)
    with _lock:
        invocation.process = process
        if invocation.cancel.is_set() or _stale(invocation):
            _kill(process)
    try:
        code, timed_out = process.wait(timeout=step.timeout_seconds), False
    except subprocess.TimeoutExpired:
        _kill(process)
        code, timed_out = process.wait(), True
    with _lock:
        invocation.process = None
    _record(invocation, plugin, code, timed_out, _read(out_path, MAX_STDOUT_CHARS), _read(err_path, MAX_STDERR_CHARS))


def _record(invocation: Invocation, plugin: PluginRun, code: int, timed_out: bool, stdout: str, stderr: str,
            error: Optional[str] = None) -> None:
    """Ends the step as the agent does: `error` is why the process failed (Go's exec error text)."""
    with _lock:
        if _stale(invocation):
            return
        if invocation.cancel.is_set():
            plugin.end("Cancelled", "Cancelled", STOPPED_EXIT_CODE, stdout, stderr)
        elif timed_out:
            plugin.end("TimedOut", "ExecutionTimedOut", STOPPED_EXIT_CODE, stdout, stderr)
        elif code == 0 and error is None:
            plugin.end("Success", "Success", 0, stdout, stderr)
        else:
            if error is None:
                error = f"exit status {code}" if code > 0 else f"signal: {_SIGNAL_TEXT.get(-code, f'signal {-code}')}"
            separator = "\n" if stderr else ""
            plugin.end("Failed", "Failed", code if code > 0 else -1, stdout,
                       f"{stderr}{separator}failed to run commands: {error}")


def _finish(invocation: Invocation) -> None:
    with _lock:
        if _stale(invocation):
            return
        statuses = {p.status for p in invocation.plugins}
        if invocation.cancel.is_set():
            invocation.status = invocation.details = "Cancelled"
        elif "Failed" in statuses:
            invocation.status = invocation.details = "Failed"
        elif "TimedOut" in statuses:
            invocation.status, invocation.details = "TimedOut", "ExecutionTimedOut"
        else:
            invocation.status = invocation.details = "Success"


def _read(path: str, limit: int) -> str:
    with open(path, "rb") as handle:
        return handle.read(limit * 4).decode("utf-8", "replace")[:limit]


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def cancel(command: Command, instance_ids: list[str]) -> None:
    with _lock:
        if not instance_ids:
            command.cancelled = True
        for invocation in command.invocations:
            if invocation.terminal or (instance_ids and invocation.instance_id not in instance_ids):
                continue
            invocation.cancel.set()
            if invocation.status == "Pending":
                for plugin in invocation.plugins:
                    plugin.status = plugin.details = "Cancelled"
                invocation.status = invocation.details = "Cancelled"
            else:
                invocation.status = invocation.details = "Cancelling"
                if invocation.process is not None:
                    _kill(invocation.process)


# --- control API and reset -------------------------------------------------------------------


@registry.control("POST", "/command-faults")
def add_fault(spec: dict) -> tuple[int, object]:
    fault = CommandFault(document_name=spec.get("documentName"), instance_id=spec.get("instanceId"),
                         exit_code=int(spec.get("exitCode", 1)), stdout=str(spec.get("stdout", "")),
                         stderr=str(spec.get("stderr", "")), times=int(spec.get("times", 1)),
                         seconds=float(spec.get("seconds", 0)))
    with _lock:
        _faults.append(fault)
        return 200, {"commandFaults": len(_faults)}


@registry.control("GET", "/command-faults")
def list_faults(_: dict) -> tuple[int, object]:
    with _lock:
        return 200, {"commandFaults": [
            {"documentName": f.document_name, "instanceId": f.instance_id, "exitCode": f.exit_code,
             "stdout": f.stdout, "stderr": f.stderr, "times": f.times, "used": f.used, "seconds": f.seconds}
            for f in _faults]}


@registry.control("DELETE", "/command-faults")
def clear_faults(_: dict) -> tuple[int, object]:
    with _lock:
        _faults.clear()
    return 200, {"commandFaults": []}


@registry.on_reset
def reset() -> None:
    """Kills every running script, forgets every command and fault, empties the work folder."""
    global _generation
    with _lock:
        _generation += 1
        for command in _commands:
            for invocation in command.invocations:
                invocation.cancel.set()
                if invocation.process is not None:
                    _kill(invocation.process)
        _commands.clear()
        _faults.clear()
    for entry in os.listdir(_root):
        shutil.rmtree(os.path.join(_root, entry), ignore_errors=True)
