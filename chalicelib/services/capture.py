"""Capturing page views from the snippet (``/collect``) and the pixel (``/t.gif``)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic_core import ValidationError

from chalicelib.bodies import invalid, json_document
from chalicelib.capture_schema import (
    MAX_COLLECT_BYTES,
    MAX_EVENTS_PER_BATCH,
    CollectBatch,
    CollectedEvent,
    PixelQuery,
)
from chalicelib.domain.capture import PIXEL_VISITOR_PREFIX, PageView, RejectedInput, event_time, new_pageview
from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.privacy import truncate_ip
from chalicelib.errors import LeadtrailError, MalformedInput, PayloadTooLarge
from chalicelib.observability import count, traced
from chalicelib.services.ports import PageViewLog
from chalicelib.services.tenancy import Tenancy


@dataclass(frozen=True)
class CollectResult:
    accepted: int
    rejected: int


def _event_id(visitor_id: str, event: CollectedEvent | PixelQuery, url: str, at: str) -> str:
    """The client's id, or one derived from the event: a re-sent batch overwrites, never duplicates."""
    if event.id:
        return event.id
    return hashlib.sha256(f"{visitor_id}\n{url}\n{at}".encode()).hexdigest()[:16]


class Capture:
    def __init__(self, pageviews: PageViewLog, tenancy: Tenancy, clock: Clock):
        self.pageviews = pageviews
        self.tenancy = tenancy
        self.clock = clock

    def _reject(self, reason: str, source: str, body: str, error: LeadtrailError, tenant_id: str | None = None,
                ip: str | None = None) -> None:
        self.pageviews.record_rejected(
            RejectedInput(reason=reason, at=iso(self.clock()), source=source, body=body,
                          tenant_id=tenant_id, field=error.field, sender=truncate_ip(ip))
        )
        count("RejectedInput", reason=reason)

    @traced
    def collect(self, body: bytes, origin: str | None, ip: str | None) -> CollectResult:
        """Record a batch of page views; each bad event is rejected on its own and kept with its reason."""
        text = body.decode("utf-8", errors="replace")
        error: LeadtrailError
        if len(body) > MAX_COLLECT_BYTES:
            error = PayloadTooLarge(f"the body may be at most {MAX_COLLECT_BYTES} bytes", field="body")
            self._reject("too_large", "collect", text, error, ip=ip)
            raise error
        try:
            raw = json_document(text)
        except MalformedInput as malformed:
            self._reject("malformed_json", "collect", text, malformed, ip=ip)
            raise
        try:
            batch = CollectBatch.model_validate(raw)
        except ValidationError as failure:
            bad = invalid(failure)
            error = MalformedInput(bad.message, field=bad.field, details=bad.details)
            self._reject("invalid_batch", "collect", text, error, ip=ip)
            raise error from None
        if len(batch.events) > MAX_EVENTS_PER_BATCH:
            error = PayloadTooLarge(f"at most {MAX_EVENTS_PER_BATCH} events per batch", field="events")
            self._reject("too_many_events", "collect", text, error, ip=ip)
            raise error
        try:
            site = self.tenancy.site_for_origin(batch.site, origin)
        except LeadtrailError as refused:
            self._reject(refused.code, "collect", text, refused, ip=ip)
            raise

        now = self.clock()
        short_ip = truncate_ip(ip)
        views: list[PageView] = []
        rejected: list[RejectedInput] = []
        for index, raw_event in enumerate(batch.events):
            try:
                event = CollectedEvent.model_validate(raw_event)
            except ValidationError as failure:
                bad = invalid(failure, prefix=f"events.{index}.")
                rejected.append(RejectedInput(
                    reason="invalid_event", at=iso(now), source="collect", tenant_id=site.tenant_id,
                    body=json.dumps(raw_event, default=str), field=bad.field, sender=truncate_ip(ip),
                ))
                continue
            at = event_time(event.ts, now)
            views.append(new_pageview(
                tenant_id=site.tenant_id, visitor_id=batch.vid, event_id=_event_id(batch.vid, event, event.url, at),
                url=event.url, at=at, type=event.type, referrer=event.ref, title=event.title, ip=short_ip,
                kept_for=site.page_view_retention,
            ))
        if views or rejected:
            self.pageviews.record_pageviews(views, rejected)
        count("PageViews", len(views))
        count("RejectedInput", len(rejected), reason="invalid_event")
        return CollectResult(accepted=len(views), rejected=len(rejected))

    @traced
    def pixel(self, query: Mapping[str, str], ip: str | None) -> bool:
        """Record the pixel's page view if it is valid; the caller answers with a GIF either way."""
        body = json.dumps(dict(query))
        try:
            event = PixelQuery.model_validate(dict(query))
        except ValidationError as failure:
            self._reject("invalid_pixel", "pixel", body, invalid(failure), None, ip=ip)
            return False
        try:
            site = self.tenancy.site(event.site)
        except LeadtrailError as refused:
            self._reject(refused.code, "pixel", body, refused, ip=ip)
            return False
        # A no-JS page or an e-mail has no visitor id: the view is still counted, just not stitched.
        visitor_id = event.vid or f"{PIXEL_VISITOR_PREFIX}{secrets.token_urlsafe(12)}"
        now = self.clock()
        at = event_time(event.ts, now)
        view = new_pageview(
            tenant_id=site.tenant_id, visitor_id=visitor_id, event_id=_event_id(visitor_id, event, event.url, at),
            url=event.url, at=at, type=event.e, referrer=event.ref, title=event.title, ip=truncate_ip(ip),
            kept_for=site.page_view_retention,
        )
        self.pageviews.record_pageviews([view])
        count("PageViews")
        return True
