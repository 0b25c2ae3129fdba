"""Imports every extension module so that their hooks register, in pipeline order."""
from __future__ import annotations

import importlib

from . import registry

# Each module registers hooks at import. Order matters only among hooks of the same action.
MODULES = ["control", "calllog", "faults", "clock", "ec2_states", "ec2_hibernation", "ec2_rules", "ec2_control", "disks", "ssm_reach", "ssm_agents", "commands", "ssm_api", "windows_images", "iam_policies", "iam_boundaries", "kms_keys"]

for _name in MODULES:
    importlib.import_module(f".{_name}", __package__)


def shutdown() -> None:
    """Release what extensions hold on the host (loop devices, subprocesses) before exit."""
    for hook in registry.reset_hooks():
        hook()
