"""A person's data (GDPR): everything held about one end customer as one document, and its erasure.

The person is named by e-mail; their lead follows from it (``domain.leads.lead_id_for``). Erasure removes every
item that carries their data or links to them (``adapters.dynamo.people`` lists where that is), leaves counters
and reports as they are (they hold no person), and records only that a person with that address's hash was
erased. It is idempotent: erasing again finds nothing more and answers ``changed: false``.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.leads import lead_id_for, normalise_email
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.observability import count, traced

if TYPE_CHECKING:
    from chalicelib.domain.resellers import Reseller
    from chalicelib.services.leads import LeadReader
    from chalicelib.services.ports import LeadRepository
    from chalicelib.services.survey_ports import SurveyStore

MAX_EXPORT_PAGES = 200


class PersonalData(abc.ABC):
    @abc.abstractmethod
    def erase(self, tenant_id: str, lead_id: str, email: str, visitors: Sequence[str],
              reseller_hashes: Sequence[tuple[str, str]], person: str, today: date) -> dict[str, int]: ...

    @abc.abstractmethod
    def record_erasure(self, tenant_id: str, person: str, at: str, counts: dict[str, int]) -> bool: ...

    @abc.abstractmethod
    def erasure(self, tenant_id: str, person: str) -> dict[str, Any] | None: ...


def person_hash(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


class People:
    def __init__(self, leads: LeadRepository, reader: LeadReader, surveys: SurveyStore, personal: PersonalData,
                 resellers: Callable[[str], list[Reseller]], clock: Clock):
        self.leads = leads
        self.reader = reader
        self.surveys = surveys
        self.personal = personal
        self.resellers = resellers
        self.clock = clock

    @traced
    def export(self, tenant_id: str, email: str) -> dict[str, Any]:
        """Everything held about the person: the lead, its whole timeline (with page views, consents, outcomes),
        hand-overs, surveys and their answers."""
        address = _address(email)
        lead_id = lead_id_for(tenant_id, address)
        if self.leads.lead(tenant_id, lead_id) is None:
            erased = self.personal.erasure(tenant_id, person_hash(address))
            message = "nothing is held about this person" + (f"; erased at {erased['at']}" if erased else "")
            raise NotFound(message, field="email")
        lead = self.reader.lead_with_timeline(tenant_id, lead_id)
        timeline = list(lead.pop("timeline"))
        cursor = lead.pop("timeline_next_cursor")
        for _ in range(MAX_EXPORT_PAGES):
            if not cursor:
                break
            page = self.reader.timeline(tenant_id, lead_id, cursor, 500)
            timeline += page["timeline"]
            cursor = page["next_cursor"]
        consent_history = [event for event in timeline if event.get("type") == "consent_changed"
                           or (event.get("type") == "form_submit" and event.get("consent"))]
        surveys = [{"survey_id": state.survey_id, "survey": state.name, "status": state.status,
                    "sent_at": state.sent_at, "answers": dict(state.answers), "completed_at": state.completed_at}
                   for state in self.surveys.lead_surveys(tenant_id, lead_id)]
        return {"email": address, "exported_at": iso(self.clock()), "lead": lead, "timeline": timeline,
                "consent_history": consent_history, "surveys": surveys}

    @traced
    def erase(self, tenant_id: str, email: str) -> dict[str, Any]:
        """Erase every item of the person; the same request again changes nothing."""
        address = _address(email)
        person = person_hash(address)
        lead_id = lead_id_for(tenant_id, address)
        lead = self.leads.lead(tenant_id, lead_id)
        visitors = list(lead.visitors) if lead is not None else []
        from chalicelib.domain.resellers import email_hash

        hashes = [(reseller.reseller_id, email_hash(reseller.match_secret, address))
                  for reseller in self.resellers(tenant_id)]
        now = self.clock()
        counts = self.personal.erase(tenant_id, lead_id, address, visitors, hashes, person, now.date())
        if counts:
            self.personal.record_erasure(tenant_id, person, iso(now), counts)
            count("PeopleErased")
        recorded = self.personal.erasure(tenant_id, person)
        return {"email_hash": person, "erased": recorded is not None, "changed": bool(counts),
                "erased_at": recorded.get("at") if recorded else None, "items": counts}


def _address(email: str | None) -> str:
    text = (email or "").strip()
    if "@" not in text or len(text) > 254 or not text.isprintable():
        raise InvalidInput("give the person's e-mail address: ?email=name@example.dk", field="email")
    return normalise_email(text)
