"""Hook registry: how the emulator's extensions plug into the request pipeline.

An extension module registers functions with the decorators below; app.py calls them in this
order for each AWS request: tick (advance time-based transitions), faults, `before` hooks
(validation: may answer with an AWS error), a `replace` handler (answers instead of moto) or
moto itself, then `after` hooks (may change state or the response body).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Optional

from .request import AwsRequest, AwsResponse

BeforeHook = Callable[[AwsRequest], Optional[AwsResponse]]
ReplaceHandler = Callable[[AwsRequest], AwsResponse]
AfterHook = Callable[[AwsRequest, AwsResponse], Optional[AwsResponse]]
ControlHandler = Callable[[dict], tuple[int, object]]

_before: dict[tuple[str, str], list[BeforeHook]] = defaultdict(list)
_replace: dict[tuple[str, str], ReplaceHandler] = {}
_after: dict[tuple[str, str], list[AfterHook]] = defaultdict(list)
_tick: list[Callable[[], None]] = []
_reset: list[Callable[[], None]] = []
_control: dict[tuple[str, str], ControlHandler] = {}


def before(service: str, action: str):
    def register(fn: BeforeHook) -> BeforeHook:
        _before[(service, action)].append(fn)
        return fn

    return register


def replace(service: str, action: str):
    def register(fn: ReplaceHandler) -> ReplaceHandler:
        if (service, action) in _replace:
            raise RuntimeError(f"two handlers replace {service}:{action}")
        _replace[(service, action)] = fn
        return fn

    return register


def after(service: str, action: str):
    def register(fn: AfterHook) -> AfterHook:
        _after[(service, action)].append(fn)
        return fn

    return register


def on_tick(fn: Callable[[], None]) -> Callable[[], None]:
    """Called before every AWS request and every control call: advance what time has changed."""
    _tick.append(fn)
    return fn


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    """Called by POST /_emulator/reset, after moto's own reset: drop the extension's state."""
    _reset.append(fn)
    return fn


def control(method: str, path: str):
    """A control API route under /_emulator; the handler takes the JSON body (or query) dict."""

    def register(fn: ControlHandler) -> ControlHandler:
        _control[(method.upper(), path)] = fn
        return fn

    return register


def before_hooks(req: AwsRequest) -> list[BeforeHook]:
    return _before.get((req.service, req.action), [])


def replace_handler(req: AwsRequest) -> Optional[ReplaceHandler]:
    return _replace.get((req.service, req.action))


def after_hooks(req: AwsRequest) -> list[AfterHook]:
    return _after.get((req.service, req.action), [])


def tick_hooks() -> list[Callable[[], None]]:
    return _tick


def reset_hooks() -> list[Callable[[], None]]:
    return _reset


def control_handler(method: str, path: str) -> Optional[ControlHandler]:
    return _control.get((method.upper(), path))
