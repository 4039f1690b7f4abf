"""Each owner's last activity (its own accept, decline or contact report), kept on the owner for the admin's list.

No claim per event: the write only ever moves the time forwards, so a redelivered, repeated or late event
changes nothing, and the events that are not an owner's own action cost no read and no write.
"""

from __future__ import annotations

from chalicelib.consumers.events import ChangeEvent
from chalicelib.services.ports import TenantRegistry

OWNER_ACTIONS = frozenset({"accepted", "declined", "contacted"})


class OwnerActivity:
    def __init__(self, owners: TenantRegistry):
        self.owners = owners

    def __call__(self, event: ChangeEvent) -> None:
        owner = event.details.get("owner")
        # An admin acting on the owner's behalf is not the owner's activity (``by`` is absent on older events).
        if event.type not in OWNER_ACTIONS or not owner or event.details.get("by") == "admin":
            return
        # An owner the route names but nobody registered has no item: the write is refused and nothing follows.
        self.owners.record_owner_activity(event.tenant_id, str(owner), event.at, event.type)
