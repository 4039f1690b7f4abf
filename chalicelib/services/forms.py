"""Form submissions: a visitor becomes a lead, stitched to its page views and attributed."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from chalicelib.domain.attribution import Landing
from chalicelib.domain.capture import Site, safe_redirect
from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.leads import Submission, SubmissionOutcome, TimelineEvent, apply_submission, lead_id_for
from chalicelib.domain.privacy import truncate_ip
from chalicelib.domain.stages import DEFAULT_STAGE_RULES, StageRules
from chalicelib.errors import (
    ConcurrentUpdate,
    Conflict,
    DuplicateRequest,
    IdempotencyKeyReused,
    InvalidInput,
    LeadtrailError,
    MalformedInput,
    PayloadTooLarge,
    WriteRefused,
)
from chalicelib.models import MAX_FORM_BYTES, FormSubmission, json_object
from chalicelib.observability import count, logger, traced
from chalicelib.services.handovers import Handovers, Plan
from chalicelib.services.ports import LeadRepository, PageViewLog, Receipt, Spam, SpamLog
from chalicelib.services.tenancy import Tenancy

RECEIPT_TTL = timedelta(hours=24)
# Retries for the same person's concurrent submissions: random waits (full jitter) that grow to half a
# second, 18 s of waiting at worst (9 s on average), inside the API's 29 s, so a burst from an import still
# lands (at 25 attempts a burst of 200 for one person still lost one in about four runs on the emulator).
MAX_ATTEMPTS = 40
# A throttled or failing store is tried again at most this often (as before the conflicts' bound was raised).
STORE_ATTEMPTS = 25
FIRST_BACKOFF = 0.02
MAX_BACKOFF = 0.5
# What a journey that cannot be carried out raises (bad durations, overflowing dates, an invalid stored
# document, a transaction too large): the lead is stored without its hand-over. Anything else (a throttled
# or failing store) is retried.
JOURNEY_FAILURES = (ValueError, ArithmeticError, LookupError, TypeError)



@dataclass(frozen=True)
class FormRequest:
    site_key: str
    body: bytes
    content_type: str
    origin: str | None = None
    referer: str | None = None
    idempotency_key: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class FormResult:
    lead_id: str
    site: Site
    redirect_to: str | None = None
    replayed: bool = False
    spam: bool = False
    # Optional fields that did not fit: kept as given where they could be, never the reason to refuse.
    fields_flagged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """Where a person goes whose plain HTML form was refused: the site's own ``_error`` page, or ours."""

    language: str = "en"
    error_url: str | None = None
    back_to: str | None = None


# A form with a file input arrives as multipart/form-data with the file in it: the body may be this large,
# the file is dropped (its field is flagged), and the text fields still fit MAX_FORM_BYTES.
MAX_MULTIPART_BYTES = 5 * 1024 * 1024
MAX_FIELDS = 100


@dataclass(frozen=True)
class FormBody:
    """What a form post holds: its text fields, and the names of the file fields that were not kept."""

    fields: dict[str, Any]
    files: tuple[str, ...] = ()


def read_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """The submitted fields, from JSON, a url-encoded, multipart or ``text/plain`` form."""
    return read_form(body, content_type).fields


def read_form(body: bytes, content_type: str) -> FormBody:
    """The submitted fields (and any file fields' names), whichever encoding a form or a program chose."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return _multipart(body, content_type)
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"the body may be at most {MAX_FORM_BYTES} bytes", field="body")
    text = _utf8(body)
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=MAX_FIELDS)
        except ValueError:
            raise MalformedInput("the form body cannot be read", field="body") from None
        return FormBody(_first_values(pairs))
    if kind == "text/plain":
        return FormBody(_first_values(_plain_pairs(text)))
    return FormBody(json_object(text))


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedInput("the body is not UTF-8", field="body") from None


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in pairs:
        fields.setdefault(name, value)  # a repeated field keeps its first value, as PHP does not
    return fields


def _plain_pairs(text: str) -> list[tuple[str, str]]:
    """``enctype="text/plain"``: one ``name=value`` line per field, unescaped; a line without ``=`` continues
    the previous value (a message typed over several lines)."""
    pairs: list[tuple[str, str]] = []
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n") if text.strip() else []
    for line in lines:
        name, equals, value = line.partition("=")
        if equals and name.strip():
            pairs.append((name.strip(), value))
        elif pairs:
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}\n{line}")
        else:
            raise MalformedInput("the form body cannot be read: each line must be name=value", field="body")
        if len(pairs) > MAX_FIELDS:
            raise MalformedInput(f"a form may have at most {MAX_FIELDS} fields", field="body")
    return pairs


def _multipart(body: bytes, content_type: str) -> FormBody:
    """``multipart/form-data`` read with the standard library: text fields are kept, a file is not."""
    from email import policy
    from email.parser import BytesParser

    if len(body) > MAX_MULTIPART_BYTES:
        raise PayloadTooLarge(f"the body may be at most {MAX_MULTIPART_BYTES} bytes", field="body")
    if "\r" in content_type or "\n" in content_type:
        raise MalformedInput("the Content-Type cannot be read", field="Content-Type")
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode("utf-8", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise MalformedInput("the form body cannot be read: a multipart body needs its boundary",
                             field="body")
    pairs: list[tuple[str, str]] = []
    files: list[str] = []
    size = 0
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if filename or data:  # a file input left empty sends an empty part: nothing was lost
                files.append(name)
            continue
        size += len(data)
        if size > MAX_FORM_BYTES:
            raise PayloadTooLarge(f"the form's text fields may be at most {MAX_FORM_BYTES} bytes", field="body")
        try:
            value = data.decode(part.get_content_charset() or "utf-8")
        except (LookupError, UnicodeDecodeError):
            raise MalformedInput(f"the field {name} is not UTF-8", field=name) from None
        pairs.append((name, value))
        if len(pairs) + len(files) > MAX_FIELDS:
            raise MalformedInput(f"a form may have at most {MAX_FIELDS} fields", field="body")
    return FormBody(_first_values(pairs), tuple(dict.fromkeys(files)))


def _fingerprint(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidInput("Idempotency-Key must be 1-255 printable characters", field="Idempotency-Key")
    return key


def _with_flags(outcome: SubmissionOutcome, form: FormSubmission) -> SubmissionOutcome:
    """The form_submit event names the fields that did not fit and holds what the lead could not."""
    if not form.fields_flagged:
        return outcome
    submitted, *rest = outcome.events
    details = {**submitted.details, "fields_flagged": list(form.fields_flagged)}
    if form.flagged_values:
        details["flagged_values"] = dict(form.flagged_values)
    return replace(outcome, events=(replace(submitted, details=details), *rest))


class Forms:
    def __init__(
        self,
        leads: LeadRepository,
        pageviews: PageViewLog,
        spam: SpamLog,
        tenancy: Tenancy,
        clock: Clock,
        new_id: Callable[[], str] | None = None,
        handovers: Handovers | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        self.leads = leads
        self.pageviews = pageviews
        self.spam = spam
        self.tenancy = tenancy
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))
        self.handovers = handovers
        self.sleep = sleep
        self.jitter = jitter

    @traced
    def submit(self, request: FormRequest) -> FormResult:
        """Turn a form submission into a lead (or a new event on the person's lead), exactly once."""
        key = _check_idempotency_key(request.idempotency_key)
        site = self.tenancy.site_for_origin(request.site_key, request.origin)
        body = read_form(request.body, request.content_type)
        fields = body.fields
        redirect_to = safe_redirect(
            fields.get("_next") if isinstance(fields.get("_next"), str) else None, request.origin, site
        )

        if fields.get("_gotcha"):
            # A bot filled the hidden field: answer like a success, keep it as spam, make no lead.
            self.spam.record_spam(Spam(tenant_id=site.tenant_id, at=iso(self.clock()), site_key=site.site_key,
                                       fields=fields))
            count("Spam")
            return FormResult(lead_id="ld_" + secrets.token_hex(12)[:24], site=site, redirect_to=redirect_to,
                              spam=True)

        form = FormSubmission.from_fields(fields)
        # A file sent with the form is not kept: the lead says which field it came in.
        form.fields_flagged.extend(name for name in body.files if name not in form.fields_flagged)
        submission = Submission(
            email=str(form.email), form=form.form, name=form.name, phone=form.phone, company=form.company,
            message=form.message, visitor_id=form.et_vid, referred_by=form.referred_by, consent=form.consent,
            fields=form.fields, page_url=form.page_url or request.referer, ip=truncate_ip(request.ip),
        )
        payload_hash = _fingerprint({"site": site.site_key, **fields})
        key_hash = hashlib.sha256(f"{site.site_key}\n{key or payload_hash}".encode()).hexdigest()
        # A request carried out before (a retry, a form sent again, a reused key) is answered from its receipt before
        # anything else is read, and before a hand-over takes a round-robin turn: it moves nobody's turn. Two copies
        # sent at once can both pass this read; they still store once (the receipt's condition), but the copy that
        # loses the race has taken a turn.
        recorded = self.leads.recorded_answer(site.tenant_id, key_hash, int(self.clock().timestamp()))
        if recorded is not None:
            return self._replayed(recorded, payload_hash, site, redirect_to, form)
        lead_id = lead_id_for(site.tenant_id, submission.email)
        views = self.pageviews.visitor_pageviews(site.tenant_id, submission.visitor_id) if submission.visitor_id else []
        landings = [Landing(url=view.url, referrer=view.referrer, at=view.at) for view in views]
        if submission.page_url:
            landings.append(Landing(url=submission.page_url))
        handover_failure: str | None = None
        rules = self._stage_rules(site.tenant_id, lead_id)

        # A round-robin turn is taken once per request and kept across its retries: a retry takes none.
        turns: dict[str, int] = {}
        attempt = failures = 0
        while attempt < MAX_ATTEMPTS:
            now = self.clock()
            existing = self.leads.lead(site.tenant_id, lead_id)
            outcome = _with_flags(apply_submission(site.tenant_id, existing, submission, landings, now, self.new_id,
                                                   stages=rules), form)
            plan = Plan(outcome.lead, [])
            if self.handovers is not None and handover_failure is None:
                # The hand-over is written in the same transaction as the submission that triggers it.
                try:
                    plan = self.handovers.plan("form_submit", outcome.lead, form.form, now, turns)
                except JOURNEY_FAILURES as error:  # no journey setting may cost a lead
                    handover_failure = self._handover_failed(error, lead_id)
            if handover_failure is not None:
                outcome = replace(outcome, events=(*outcome.events, self._failure_event(outcome, handover_failure)))
            outcome = replace(outcome, lead=plan.lead)
            receipt = Receipt(
                tenant_id=site.tenant_id, key_hash=key_hash, payload_hash=payload_hash,
                response={"lead_id": lead_id}, issued_at=int(now.timestamp()),
                expires_at=int((now + RECEIPT_TTL).timestamp()),
            )
            try:
                self.leads.save_submission(outcome, existing.version if existing else None, receipt, plan.changes)
            except DuplicateRequest as duplicate:
                return self._replayed(duplicate.response, payload_hash, site, redirect_to, form)
            except ConcurrentUpdate:
                # Same person, same moment (a double click, an import): wait a random while, read again.
                attempt += 1
                self._back_off(attempt)
                continue
            except WriteRefused:
                raise  # as it is, the store will never take it: no retry, the error shows at once
            except JOURNEY_FAILURES as error:
                if not plan.changes:
                    raise
                # The hand-over made the write impossible: the lead is stored without it, and it says so.
                handover_failure = self._handover_failed(error, lead_id)
                continue
            except Exception:
                # A throttled or failing store: the same attempt again after a while; the receipt keeps it once.
                attempt += 1
                failures += 1
                if attempt >= MAX_ATTEMPTS or failures >= STORE_ATTEMPTS:
                    raise
                logger.warning("saving a submission failed; trying again", exc_info=True)
                self._back_off(attempt)
                continue
            count("FormSubmissions")
            count("LeadsCreated", 1 if outcome.created else 0)
            count("StageChanges", sum(1 for event in outcome.events if event.type == "stage_change"))
            count("HandoversStarted", len(plan.changes))
            count("FormsWithFieldsFlagged", 1 if form.fields_flagged else 0)
            return FormResult(lead_id=lead_id, site=site, redirect_to=redirect_to,
                              fields_flagged=tuple(form.fields_flagged))
        raise Conflict("the lead kept changing while this submission was saved; try again", field="email")

    @staticmethod
    def _replayed(recorded: dict[str, Any], payload_hash: str, site: Site, redirect_to: str | None,
                  form: FormSubmission) -> FormResult:
        """The answer of the request carried out before; a different payload under its key is refused."""
        if recorded.get("payload_hash") != payload_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different submission",
                                       field="Idempotency-Key")
        return FormResult(lead_id=str(recorded["lead_id"]), site=site, redirect_to=redirect_to, replayed=True,
                          fields_flagged=tuple(form.fields_flagged))

    def refusal(self, request: FormRequest) -> Refusal:
        """For a refused plain HTML form: the site's language, its ``_error`` page and the form's page.

        Both addresses must be on the site's allowed origins; anything else is ignored, so a refusal
        never sends a visitor somewhere the site did not choose.
        """
        try:
            site = self.tenancy.site(request.site_key)
        except LeadtrailError:
            return Refusal()
        try:
            fields = read_fields(request.body, request.content_type)
        except LeadtrailError:
            fields = {}

        def allowed(url: Any) -> str | None:
            return safe_redirect(url if isinstance(url, str) else None, request.origin, site)

        return Refusal(language=site.language, error_url=allowed(fields.get("_error")),
                       back_to=allowed(fields.get("page_url")) or allowed(request.referer))

    def _stage_rules(self, tenant_id: str, lead_id: str) -> StageRules:
        """The tenant's stages and where a form submit leads; the default ones when the journey cannot be read."""
        if self.handovers is None:
            return DEFAULT_STAGE_RULES
        try:
            return self.handovers.journeys.definition(tenant_id).stage_rules()
        except JOURNEY_FAILURES:  # a lead is never refused because of the journey
            logger.exception("the journey's stages could not be read; the default stages apply",
                             extra={"lead_id": lead_id})
            return DEFAULT_STAGE_RULES

    def _back_off(self, attempt: int) -> None:
        if attempt < MAX_ATTEMPTS:
            self.sleep(self.jitter() * min(MAX_BACKOFF, FIRST_BACKOFF * 2**attempt))

    @staticmethod
    def _handover_failed(error: Exception, lead_id: str) -> str:
        logger.exception("a hand-over could not be started; the lead is stored without it",
                         extra={"lead_id": lead_id})
        count("HandoverStartFailed")
        return type(error).__name__

    def _failure_event(self, outcome: SubmissionOutcome, error: str) -> TimelineEvent:
        first = outcome.events[0]
        return TimelineEvent(event_id=self.new_id(), type="handover_failed", at=first.at, seq=len(outcome.events),
                             details={"trigger": "form_submit", "error": error})
