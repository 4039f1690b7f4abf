"""A tenant's journey definition: stored as a validated document, read through a short cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.journey import EMPTY_JOURNEY, JourneyDefinition
from chalicelib.errors import Conflict, InvalidInput, MalformedInput
from chalicelib.models import field_errors
from chalicelib.observability import count, logger, traced
from chalicelib.services.ports import JourneyRepository

MASKED_SECRET = "********"
# The parts of a journey holding a secret no API answer echoes: the outbound webhook's and the CRM's inbound one.
SECRET_PARTS = ("webhook", "crm")
# What GET /admin/journey answers around the definition; a PUT may send that answer back as it is.
ENVELOPE = {"definition", "version", "updated_at"}


def masked(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a journey document whose secrets (webhook, CRM) no API answer echoes."""
    copy = dict(document)
    for name in SECRET_PARTS:
        part = copy.get(name)
        if isinstance(part, dict) and "secret" in part:
            copy[name] = {**part, "secret": MASKED_SECRET}
    return copy


def _kept_secrets(raw: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """A document read back (masked), edited and stored again keeps the secrets it had."""
    for name in SECRET_PARTS:
        part = raw.get(name)
        if isinstance(part, dict) and part.get("secret") == MASKED_SECRET:
            kept = ((previous or {}).get(name) or {}).get("secret")
            if kept:
                raw = {**raw, name: {**part, "secret": kept}}
    return raw


def stored_definition(tenant_id: str, document: dict[str, Any]) -> JourneyDefinition:
    """A journey stored earlier, read under today's rules. A webhook those rules refuse (a secret from before
    Standard Webhooks) is left out and reported, so the rest of the journey keeps working; anything else
    that no longer validates raises, and a form records it as a failed hand-over."""
    try:
        return JourneyDefinition.model_validate(document)
    except ValidationError as error:
        if document.get("webhook") is None or any(item["loc"][:1] != ("webhook",) for item in error.errors()):
            logger.error("the stored journey no longer validates", extra={"tenant_id": tenant_id})
            count("StoredJourneyInvalid")
            raise
        logger.error("the stored journey's webhook is not valid; it is left out until the journey is stored "
                     "again", extra={"tenant_id": tenant_id})
        count("StoredWebhookInvalid")
        return JourneyDefinition.model_validate({key: value for key, value in document.items() if key != "webhook"})


class Journeys:
    def __init__(self, repository: JourneyRepository, clock: Clock, ttl: timedelta = timedelta(seconds=60),
                 page_views_kept: Callable[[str, str], Any] | None = None):
        self.repository = repository
        self.clock = clock
        self.ttl = ttl
        # Told the page-view retention of each journey stored (the capture path keeps page views that long).
        self.page_views_kept = page_views_kept
        self._cache: dict[str, tuple[datetime, JourneyDefinition]] = {}

    def definition(self, tenant_id: str) -> JourneyDefinition:
        """The tenant's journey (an empty one, with the default stages, until it stores its own)."""
        now = self.clock()
        cached = self._cache.get(tenant_id)
        if cached is None or now - cached[0] > self.ttl:
            stored = self.repository.journey(tenant_id)
            definition = stored_definition(tenant_id, stored.document) if stored else EMPTY_JOURNEY
            cached = (now, definition)
            self._cache[tenant_id] = cached
        return cached[1]

    def document(self, tenant_id: str) -> dict[str, Any]:
        """The stored document as the tenant may read it: the webhook and CRM secrets masked."""
        stored = self.repository.journey(tenant_id)
        if stored is None:
            return {"definition": EMPTY_JOURNEY.model_dump(mode="json", exclude_none=True), "version": 0,
                    "updated_at": None}
        return {"definition": masked(stored.document), "version": stored.version, "updated_at": stored.updated_at}

    @traced
    def replace(self, tenant_id: str, raw: Any) -> dict[str, Any]:
        """Validate and store a new definition; an invalid one changes nothing, and so does the same one again.

        The body is the definition itself or the document ``GET /admin/journey`` answers (``definition`` with
        ``version`` and ``updated_at``); with a ``version``, it must still be the stored one.
        """
        if not isinstance(raw, dict):
            raise MalformedInput("the journey definition must be a JSON object", field="body")
        previous = self.repository.journey(tenant_id)
        raw = self._unwrapped(raw, previous.version if previous else 0)
        raw = _kept_secrets(raw, previous.document if previous else None)
        try:
            definition = JourneyDefinition.model_validate(raw, context={"now": self.clock()})
        except ValidationError as error:
            raise journey_refused(error) from None
        document = definition.model_dump(mode="json", exclude_none=True)
        if previous is not None and previous.document == document:
            stored = previous
        else:
            stored = self.repository.save_journey(tenant_id, document, iso(self.clock()))
        if self.page_views_kept is not None:
            self.page_views_kept(tenant_id, definition.page_view_retention)
        self._cache[tenant_id] = (self.clock(), definition)
        return {"definition": masked(stored.document), "version": stored.version, "updated_at": stored.updated_at}

    @staticmethod
    def _unwrapped(raw: dict[str, Any], stored_version: int) -> dict[str, Any]:
        if not isinstance(raw.get("definition"), dict) or not set(raw) <= ENVELOPE:
            return raw
        version = raw.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 0):
            raise InvalidInput("version must be the whole number GET /admin/journey answered", field="version")
        if version is not None and version != stored_version:
            raise Conflict(f"the journey changed since version {version} was read (it is at version "
                           f"{stored_version}); read it again and apply your change to it", field="version")
        return dict(raw["definition"])


def journey_refused(error: ValidationError) -> InvalidInput:
    """A refused journey: every problem, each at its path, in one answer."""
    details = field_errors(error)
    first = details[0]
    summary = f"{first['field']}: {first['message']}"
    if len(details) > 1:
        summary += f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''}, listed in fields)"
    return InvalidInput(summary, field=first["field"], details=details)
