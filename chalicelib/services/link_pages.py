"""What an owner sees behind a signed hand-over link: the lead card, the outcome, or a dead end that says why.

The pages are built from the ports the rest of the system already has (leads, page views, hand-overs,
journeys, owner contacts): nothing here writes. Every time is shown in the hand-over calendar's time zone
(UTC when its journey names no calendar) and every word comes from the catalogue, in one language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from chalicelib.domain.clock import Clock, parse_iso
from chalicelib.rendering import has_text, language_of, text

if TYPE_CHECKING:
    from chalicelib.domain.handover import HandoverState
    from chalicelib.domain.leads import Lead
    from chalicelib.services.journeys import Journeys
    from chalicelib.services.ports import HandoverRepository, LeadRepository, PageViewLog, TenantRegistry

MAX_PAGES_SHOWN = 8
MAX_EVENTS_READ = 1000
PHONE_CHARACTERS = set("+0123456789")

# The page a link leads to, with its HTTP status. "open" is the lead card with its buttons.
STATUS = {
    "open": 200, "accepted": 200, "declined": 200,
    "accepted_by_other": 409, "reassigned": 409, "gap": 409, "declined_before": 409,
    "accepted_before": 409, "moved_on": 409, "failed": 409,
    "expired": 410, "invalid": 400, "missing": 404,
}
# What an API client that asks for JSON gets instead of the page (the one error shape).
JSON_ERRORS = {
    "accepted_by_other": ("wrong_state", "the hand-over was accepted by another owner"),
    "reassigned": ("wrong_state", "the hand-over has been handed to another owner"),
    "gap": ("wrong_state", "the hand-over ended in a gap: nobody accepted it in time"),
    "declined_before": ("wrong_state", "you declined this hand-over"),
    "accepted_before": ("wrong_state", "you accepted this hand-over already"),
    "moved_on": ("wrong_state", "the hand-over can no longer be changed from this link"),
    "failed": ("conflict", "the hand-over kept changing; try again"),
    "expired": ("link_expired", "the link has expired"),
    "invalid": ("link_invalid", "the link is not valid"),
    "missing": ("not_found", "no such hand-over"),
}
CLOSED_STATUSES = ("accepted", "contacted")
LINK_ACTIONS_OTHER = {"accept": "decline", "decline": "accept"}
# Every name a link page's template may ask for, so a page that lacks one renders without it.
PAGE_DEFAULTS: dict[str, Any] = {
    "card": None, "who": None, "accepted_at": None, "already": False, "problem": None, "business_hours": False,
    "contact_within": None, "contact_due": None, "contact_overdue": False, "contacted_at": None,
    "form_query": "", "other_query": "", "contacted_query": "", "ended_in_gap": False, "manager_told": False,
}


@dataclass(frozen=True)
class PageSeen:
    label: str
    url: str | None
    count: int
    last_seen: str


@dataclass(frozen=True)
class Touchpoint:
    channel: str
    campaign: str | None


@dataclass(frozen=True)
class LeadCard:
    """The lead as its owner sees it. ``email`` and ``phone`` are filled only for the owner who accepted."""

    name: str
    company: str | None
    message: str | None
    first_touch: Touchpoint | None
    last_touch: Touchpoint | None
    pages: tuple[PageSeen, ...]
    more_pages: int
    arrived: str | None
    deadline: str | None
    overdue: bool
    email: str | None = None
    email_href: str | None = None
    phone: str | None = None
    phone_href: str | None = None


@dataclass(frozen=True)
class LinkPage:
    """One answer to a link: which page, its status, its language, and what the template needs."""

    kind: str
    language: str
    action: str
    handover_id: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    handover: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        """What the page's template gets: every name it may ask for, the kind and the action."""
        return {**PAGE_DEFAULTS, **self.context, "kind": self.kind, "action": self.action}

    @property
    def status(self) -> int:
        return STATUS[self.kind]

    @property
    def template(self) -> str:
        if self.kind == "open":
            return "link_confirm"
        if self.kind in ("accepted", "declined"):
            return "link_done"
        return "link_refused"

    def json_error(self) -> dict[str, Any]:
        code, message = JSON_ERRORS[self.kind]
        field_name = "token" if self.kind in ("expired", "invalid") else "handover_id"
        return {"error": code, "message": message, "field": field_name,
                "fields": [{"field": field_name, "message": message}]}


def human_time(moment: str | datetime, timezone: str, language: str, now: datetime | None = None,
               zone_named: bool = True) -> str:
    """``tirsdag 1. december kl. 10:00 (Europe/Copenhagen)``: the weekday, date and time in a zone, in words
    of the language; the year only when it is not this year; the zone's name unless ``zone_named`` is off
    (a list of times that the page names the zone of once)."""
    instant = parse_iso(moment) if isinstance(moment, str) else moment
    local = instant.astimezone(ZoneInfo(timezone))
    weekday = text(language, "linkpage.weekdays").split()[local.weekday()]
    month = text(language, "linkpage.months").split()[local.month - 1]
    this_year = (now or instant).astimezone(ZoneInfo(timezone)).year
    key = "linkpage.time" if local.year == this_year else "linkpage.time_with_year"
    if not zone_named:
        key = key.replace("linkpage.time", "linkpage.time_unzoned")
    return text(language, key, weekday=weekday, day=local.day, month=month, year=local.year,
                time=f"{local.hour:02d}:{local.minute:02d}", zone=timezone)


def human_duration(duration: timedelta, language: str, days: bool = True) -> str:
    """``1 day and 4 hours``, ``30 minutes``: whole units, largest first. Without ``days`` hours are not
    folded into days (``PT24H`` on a business calendar is 24 opening hours, not a day)."""
    minutes = int(duration.total_seconds() // 60)
    whole_days, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    hours, minutes = divmod(rest, 60)
    parts = [text(language, f"linkpage.unit.{unit}.{'one' if amount == 1 else 'many'}", n=amount)
             for unit, amount in (("day", whole_days), ("hour", hours), ("minute", minutes)) if amount]
    if not parts:
        return text(language, "linkpage.unit.minute.many", n=0)
    if len(parts) == 1:
        return parts[0]
    return text(language, "linkpage.and", first=", ".join(parts[:-1]), last=parts[-1])


def _tel(phone: str | None) -> str | None:
    """A ``tel:`` address when the phone is a number someone can dial; a note like "after 4 pm" gets none."""
    if not phone:
        return None
    dialled = "".join(character for character in phone if character not in " -./()")
    if len(dialled) < 3 or not set(dialled) <= PHONE_CHARACTERS or "+" in dialled[1:]:
        return None
    return f"tel:{dialled}"


def _web_address(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) else None


def _owners_deadline(state: HandoverState, now: datetime) -> str:
    """The deadline the card shows its owner. Someone the ladder handed the lead to after the SLA had run out
    has the time left before the ladder moves on (as their e-mail said), never a time already passed."""
    from chalicelib.domain.handover import offer_deadline

    handed_on = any(step.action == "reassign" for step in state.steps[:state.next_step])
    if handed_on and state.status not in CLOSED_STATUSES:
        return offer_deadline(state, now) or state.accept_due_at
    return state.accept_due_at


class LinkPages:
    """Builds the pages behind the hand-over links, from the read side of the ports."""

    def __init__(self, leads: LeadRepository, pageviews: PageViewLog, handovers: HandoverRepository,
                 journeys: Journeys, contacts: TenantRegistry, clock: Clock):
        self.leads = leads
        self.pageviews = pageviews
        self.handovers = handovers
        self.journeys = journeys
        self.contacts = contacts
        self.clock = clock

    def language(self, tenant_id: str | None, owner: str | None, browser: str | None = None) -> str:
        """The owner's language, else the tenant's journey's; when the link does not say whose it is, the
        browser's (``browser``: the language it prefers), else English."""
        if tenant_id is None:
            return browser or "en"
        contact = self.contacts.owner_contact(tenant_id, owner) if owner else None
        if contact and contact[1]:
            return language_of(contact[1])
        return language_of(self.journeys.definition(tenant_id).language)

    def refused(self, kind: str, tenant_id: str | None, owner: str | None, action: str,
                browser: str | None = None) -> LinkPage:
        """The page for a link that does not hold (``expired`` or ``invalid``)."""
        return LinkPage(kind=kind, language=self.language(tenant_id, owner, browser), action=action)

    def page(self, tenant_id: str, handover_id: str, action: str, owner: str, failed: bool = False) -> LinkPage:
        """What the owner a link names sees for the hand-over as it is now: the lead card while it is theirs
        to act on, the outcome once they have acted, or the dead end that says what happened."""
        language = self.language(tenant_id, owner)
        state = self.handovers.handover(tenant_id, handover_id)
        if state is None:
            return LinkPage(kind="missing", language=language, action=action, handover_id=handover_id)
        kind = "failed" if failed else _situation(state, owner, action)
        zone, calendar = self._timezone(tenant_id, state)

        def when(moment: str | None) -> str | None:
            return human_time(moment, zone, language, self.clock()) if moment else None

        context: dict[str, Any] = {"who": state.owner, "accepted_at": when(state.accepted_at),
                                   "business_hours": calendar}
        if kind in ("open", "accepted", "accepted_before"):
            context["card"] = self._card(state, zone, language, with_contact=kind != "open")
        if kind in ("accepted", "accepted_before"):
            context.update(self._promise(tenant_id, state, language, when))
        if kind in ("declined", "declined_before") and state.status == "gap":
            # The decline ended it: the page says so, not that the lead went on to someone.
            context.update(ended_in_gap=True, manager_told=self._manager_told(tenant_id, state))
        return LinkPage(kind=kind, language=language, action=action, handover_id=handover_id, context=context,
                        handover=_present(state))

    # --- the parts of a page --------------------------------------------------------------------

    def _manager_told(self, tenant_id: str, state: HandoverState) -> bool:
        """Whether the gap e-mail had someone to go to: the ladder's escalation target or the manager."""
        from chalicelib.domain.handover import escalation_target

        if escalation_target(state):
            return True
        try:
            return bool(self.journeys.definition(tenant_id).manager_email)
        except (ValueError, LookupError):
            return False

    def _timezone(self, tenant_id: str, state: HandoverState) -> tuple[str, bool]:
        """The time zone of the hand-over's calendar in its journey, and whether it has one (else UTC)."""
        try:
            journey = self.journeys.definition(tenant_id)
            definition = journey.handover(state.name)
            clock = journey.clock_for(definition) if definition else None
        except Exception:  # noqa: BLE001 - a journey that no longer reads must not hide the lead
            return "UTC", False
        zone = getattr(clock, "timezone", None)
        return (str(zone), True) if zone else ("UTC", False)

    def _promise(self, tenant_id: str, state: HandoverState, language: str,
                 when: Callable[[str | None], str | None]) -> dict[str, Any]:
        """The next promise after accepting: contact the lead within the journey's contact SLA."""
        contact_due = getattr(state, "contact_due_at", None)
        within = None
        try:
            definition = self.journeys.definition(tenant_id).handover(state.name)
            if definition is not None and definition.sla.contact is not None:
                spec = definition.sla.contact_within or ""
                within = human_duration(definition.sla.contact, language, days="D" in spec or "W" in spec)
        except Exception:  # noqa: BLE001 - the deadline still stands when the journey changed since
            within = None
        overdue = bool(contact_due and parse_iso(contact_due) < self.clock())
        return {"contact_within": within, "contact_due": when(contact_due), "contact_overdue": overdue,
                "contacted_at": when(getattr(state, "contacted_at", None))}

    def _card(self, state: HandoverState, zone: str, language: str, with_contact: bool) -> LeadCard:
        lead = self.leads.lead(state.tenant_id, state.lead_id)
        now = self.clock()
        deadline = _owners_deadline(state, now)
        overdue = bool(deadline and parse_iso(deadline) < now and state.status not in CLOSED_STATUSES)
        due = human_time(deadline, zone, language, now) if deadline else None
        if lead is None:
            return LeadCard(name=state.lead_id, company=None, message=None, first_touch=None, last_touch=None,
                            pages=(), more_pages=0, arrived=human_time(state.started_at, zone, language, now),
                            deadline=due, overdue=overdue)
        pages = self._pages(lead, zone, language, now)
        card = LeadCard(
            name=lead.name or (lead.email if with_contact else text(language, "linkpage.card.no_name")),
            company=lead.company,
            message=self._message(lead, state.started_at),
            first_touch=_touchpoint(lead.first_touch, language),
            last_touch=_touchpoint(lead.last_touch, language),
            pages=tuple(pages[:MAX_PAGES_SHOWN]),
            more_pages=max(0, len(pages) - MAX_PAGES_SHOWN),
            arrived=human_time(state.started_at, zone, language, now),
            deadline=due,
            overdue=overdue,
        )
        if not with_contact:
            return card
        return LeadCard(**{**card.__dict__, "email": lead.email,
                           "email_href": f"mailto:{quote(lead.email, safe='@+._-')}",
                           "phone": lead.phone, "phone_href": _tel(lead.phone)})

    def _message(self, lead: Lead, until: str) -> str | None:
        """The message of the latest form the lead sent up to the hand-over's start."""
        page = self.leads.lead_events(lead.tenant_id, lead.lead_id, limit=MAX_EVENTS_READ)
        messages = [event.details.get("message") for event in page.events
                    if event.type == "form_submit" and event.at <= until and event.details.get("message")]
        return str(messages[-1]) if messages else None

    def _pages(self, lead: Lead, zone: str, language: str, now: datetime) -> list[PageSeen]:
        """The pages the lead's visitors viewed: one row per address, how often, newest first."""
        seen: dict[str, tuple[str | None, int, str]] = {}
        for visitor_id in lead.visitors:
            for view in self.pageviews.visitor_pageviews(lead.tenant_id, visitor_id):
                if view.type != "pageview":
                    continue
                title, count, last = seen.get(view.url, (None, 0, ""))
                seen[view.url] = (view.title or title, count + 1, max(last, view.at))
        rows = sorted(seen.items(), key=lambda row: row[1][2], reverse=True)
        return [PageSeen(label=title or url, url=_web_address(url), count=count,
                         last_seen=human_time(last, zone, language, now, zone_named=False))
                for url, (title, count, last) in rows]


def _touchpoint(touch: Any, language: str) -> Touchpoint:
    key = f"linkpage.channel.{touch.channel}"
    return Touchpoint(channel=text(language, key) if has_text(key) else str(touch.channel),
                      campaign=touch.campaign or None)


def _situation(state: HandoverState, owner: str, action: str) -> str:
    """Where the hand-over stands for the owner a link names (tolerant of states this code does not know)."""
    status = state.status
    mine = state.owner == owner
    declined = owner in tuple(getattr(state, "declined_by", ()) or ())
    if status in CLOSED_STATUSES:
        if mine:
            return "accepted" if action in ("accept", "contacted") else "accepted_before"
        return "accepted_by_other"
    if status == "offered" and mine:
        return "open"
    if declined or (status == "declined" and mine):
        return "declined" if action == "decline" else "declined_before"
    if status == "gap":
        return "gap"
    if status == "offered":
        return "reassigned"
    return "moved_on"


def _present(state: HandoverState) -> dict[str, Any]:
    from chalicelib.services.handovers import present

    return present(state)


def link_pages() -> LinkPages:
    """The service, built from the container's parts (the wiring stays in bootstrap's hands)."""
    from chalicelib.bootstrap import container

    parts = container()
    repositories = parts.repositories
    return LinkPages(repositories.leads, repositories.capture, repositories.handovers, parts.journeys,
                     repositories.tenancy, parts.clock)
