"""Emulated durations: a latency profile gives each transition's length in AWS seconds, and a
time scale turns them into real seconds (realistic profile x 0.01: a 40 s stop takes 0.4 s).

Extensions schedule a state change with `later(operation, fn)`: fn runs on the first tick after
the profile's duration for `operation` has passed. Profiles live in profiles/<name>.json:
{"timeScale": 1.0, "durations": {"instance.stop": 40, ...}, "sources": {...}}.
"""
from __future__ import annotations

import json
import os
import time
from typing import Callable

from . import registry

PROFILE_DIR = os.path.join(os.path.dirname(__file__), "profiles")

_profile: dict = {"name": "instant", "timeScale": 1.0, "durations": {}}
_pending: list[tuple[float, int, Callable[[], None]]] = []
_sequence = 0


def load_profile(name_or_path: str, time_scale: float | None = None) -> dict:
    path = name_or_path if name_or_path.endswith(".json") else os.path.join(PROFILE_DIR, f"{name_or_path}.json")
    with open(path, encoding="utf-8") as handle:
        profile = json.load(handle)
    profile.setdefault("name", os.path.basename(path)[:-5])
    if time_scale is not None:
        profile["timeScale"] = time_scale
    _profile.clear()
    _profile.update(profile)
    return _profile


def aws_seconds(operation: str) -> float:
    """The profile's duration for an operation in AWS seconds (0 when the profile omits it)."""
    return float(_profile.get("durations", {}).get(operation, 0))


def real_seconds(operation: str) -> float:
    return aws_seconds(operation) * float(_profile.get("timeScale", 1.0))


def later(operation: str, fn: Callable[[], None]) -> None:
    """Run fn once the operation's duration has elapsed; at once for a zero duration."""
    global _sequence
    delay = real_seconds(operation)
    if delay <= 0:
        fn()
        return
    _sequence += 1
    _pending.append((time.monotonic() + delay, _sequence, fn))


@registry.on_tick
def run_due() -> None:
    now = time.monotonic()
    due = sorted(item for item in _pending if item[0] <= now)
    for item in due:
        _pending.remove(item)
    for _, _, fn in due:
        fn()


@registry.on_reset
def drop_pending() -> None:
    _pending.clear()


@registry.control("GET", "/profile")
def get_profile(_: dict) -> tuple[int, object]:
    return 200, _profile


@registry.control("POST", "/profile")
def set_profile(spec: dict) -> tuple[int, object]:
    """{"name": "realistic", "timeScale": 0.01}: switch profiles at run time."""
    scale = spec.get("timeScale")
    return 200, load_profile(spec.get("name", _profile["name"]), float(scale) if scale is not None else None)
