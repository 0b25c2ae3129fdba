"""Hibernation: StopInstances with Hibernate=true on an instance launched with
HibernationOptions.Configured stops it with StateReason `Client.UserInitiatedHibernate`, as EC2
reports it (EC2 docs, "Hibernate your Amazon EC2 instance"; API reference, StateReason codes).
moto keeps HibernationOptions but always reports `Client.UserInitiatedShutdown`. On AWS such an
instance resumes its RAM image on its next start; the emulator does not model memory.
Not modelled: the error AWS gives for Hibernate=true on an instance not configured for it
(the instance is then stopped normally here).
"""
from __future__ import annotations

from typing import Any

from . import registry
from .ec2_states import instance_by_id
from .request import AwsRequest, AwsResponse

HIBERNATE_CODE = "Client.UserInitiatedHibernate"


def hibernation_configured(instance: Any) -> bool:
    options = getattr(instance, "hibernation_options", None) or {}
    return str(options.get("Configured", "false")).lower() == "true"


@registry.after("ec2", "StopInstances")
def _hibernated(req: AwsRequest, response: AwsResponse) -> None:
    if str(req.get("Hibernate", "false")).lower() != "true":
        return
    from moto.ec2.models.instances import StateReason

    for instance_id in req.values("InstanceId"):
        instance = instance_by_id(req, instance_id)
        if instance is not None and hibernation_configured(instance):
            instance.state_reason = StateReason(f"{HIBERNATE_CODE}: User initiated hibernate", HIBERNATE_CODE)
