"""Control routes that belong to no single extension."""
from __future__ import annotations

from . import registry


@registry.control("POST", "/reset")
def reset(_: dict) -> tuple[int, object]:
    """Clears moto's state and every extension's (faults, log, disks, pending transitions)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    for hook in registry.reset_hooks():
        hook()
    return 200, {"reset": True}


@registry.control("GET", "/health")
def health(_: dict) -> tuple[int, object]:
    return 200, {"ok": True}
