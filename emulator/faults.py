"""Fault injection: fail the Nth call of an operation, throttle, or delay it.

POST /_emulator/faults {"operation": "AttachVolume", "service": "ec2" (optional),
  "kind": "error" | "throttle" | "delay", "code": "...", "message": "...",
  "nth": 1 (the Nth matching call from now; default 1), "times": 1 (how many calls in a row),
  "seconds": 2.0 (kind "delay"), "params": {"InstanceId.1": "i-..."} (optional: only calls with
  these request parameters), "afterInjected": true (optional: counts only calls made after another
  fault has answered: a fault during the repair that follows a first one)}
"operation": "*" matches every call (of "service" when given): a throttling burst on any call.
ThrottlingException / RequestLimitExceeded and InsufficientInstanceCapacity on StartInstances for
the first N calls ({"operation": "StartInstances", "code": "InsufficientInstanceCapacity",
"times": N}) leave moto's state unchanged, as AWS does: the call did nothing.
DELETE /_emulator/faults removes them all. Command faults live in the SSM extension.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from . import registry
from .errors import aws_error
from .request import AwsRequest, AwsResponse

_THROTTLE_CODE = {"ec2": "RequestLimitExceeded"}


@dataclass
class Fault:
    operation: str
    service: Optional[str]
    kind: str
    code: str
    message: str
    nth: int
    times: int
    seconds: float
    params: Optional[dict] = None
    after_injected: bool = False
    seen: int = 0

    def matches(self, req: AwsRequest) -> bool:
        if self.operation not in ("*", req.action) or self.service not in (None, req.service):
            return False
        if self.after_injected and not any(f is not self for f in _answered):
            return False
        return all(str(req.get(k)) == str(v) for k, v in (self.params or {}).items())

    def fires(self) -> bool:
        """Counts this call; True when it is one of the `times` calls from the Nth on."""
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times


_faults: list[Fault] = []
_answered: list[Fault] = []  # faults that have answered a call, in order


def delay_for(req: AwsRequest) -> float:
    return sum(f.seconds for f in _faults if f.kind == "delay" and f.matches(req) and f.fires())


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def injected_error(req: AwsRequest) -> Optional[AwsResponse]:
    for fault in _faults:
        if fault.kind == "delay" or not fault.matches(req) or not fault.fires():
            continue
        _answered.append(fault)
        if fault.kind == "throttle":
            code = _THROTTLE_CODE.get(req.service, "ThrottlingException")
            return aws_error(req, code, "Rate exceeded (injected)")
        return aws_error(req, fault.code, fault.message)
    return None


@registry.control("POST", "/faults")
def add_fault(spec: dict) -> tuple[int, object]:
    kind = spec.get("kind", "error")
    if kind not in ("error", "throttle", "delay"):
        raise ValueError(f"kind must be error, throttle or delay, not {kind!r}")
    fault = Fault(operation=spec["operation"], service=spec.get("service"), kind=kind,
                  code=spec.get("code", "InternalError"),
                  message=spec.get("message", "Injected fault"),
                  nth=int(spec.get("nth", 1)), times=int(spec.get("times", 1)),
                  seconds=float(spec.get("seconds", 0)), params=spec.get("params"),
                  after_injected=bool(spec.get("afterInjected", False)))
    _faults.append(fault)
    return 200, {"faults": len(_faults)}


@registry.control("DELETE", "/faults")
def clear_faults(_: dict) -> tuple[int, object]:
    clear()
    return 200, {"faults": 0}


@registry.on_reset
def clear() -> None:
    _faults.clear()
    _answered.clear()
