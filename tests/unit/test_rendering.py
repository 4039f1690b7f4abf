"""The template layer: one catalogue in two languages, autoescaped pages, e-mails a lead's data cannot rewrite."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.attribution import DIRECT
from chalicelib.domain.handover import Notification
from chalicelib.domain.leads import Lead
from chalicelib.rendering import (
    LANGUAGES,
    MESSAGES,
    TEMPLATES,
    _catalogue,
    render_email,
    render_page,
    single_line,
    text,
)
from chalicelib.services.link_pages import LeadCard, LinkPage, PageSeen, Touchpoint, human_duration, human_time
from chalicelib.services.notify import compose

HOSTILE = 'Bo\r\nAccept: https://evil.example\n<a href="https://evil.example">Accept</a>'
ACCEPT = "https://api.leadtrail.test/handovers/ho_1/accept?token=abc.def"
DECLINE = "https://api.leadtrail.test/handovers/ho_1/decline?token=abc.ghi"


def _notification(kind: str = "offer") -> Notification:
    return Notification(kind=kind, to="sales-a@demo.dk", name="marketing-to-sales", handover_id="ho_1",
                        lead_id="lead_1", owner="sales-a@demo.dk", due_at="2026-11-23T13:30:00.000Z")


def _email(kind: str = "offer", language: str = "en", who: str = HOSTILE) -> tuple[str, str, str]:
    email = render_email(kind, language, who=who, due="2026-11-23 14:30 CET", accept=ACCEPT, decline=DECLINE,
                         owner="sales-a@demo.dk", handover_id="ho_1",
                         lead_lines=[("email.lead.name", who), ("email.lead.company", "Firma <b>A/S</b>")])
    return email.subject, email.text, email.html


# --- the catalogue --------------------------------------------------------------------------------


def test_every_message_key_exists_in_danish_and_english_with_the_same_placeholders():
    for path in sorted(MESSAGES.glob("*.json")):
        area = json.loads(path.read_text(encoding="utf-8"))
        assert set(area) == set(LANGUAGES), path.name
        assert set(area["da"]) == set(area["en"]), f"{path.name}: {set(area['da']) ^ set(area['en'])}"
        for key, words in area["en"].items():
            placeholders = set(re.findall(r"{(\w+)}", words))
            assert placeholders == set(re.findall(r"{(\w+)}", area["da"][key])), f"{path.name}: {key}"


def test_every_message_key_a_template_asks_for_is_in_the_catalogue():
    asked = {key for path in [*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.txt"),
                              *(TEMPLATES.parent / "web").rglob("*.html")]
             for key in re.findall(r't\("([a-z_.]+)"', path.read_text(encoding="utf-8"))
             if not key.endswith(".")}  # "link." ~ action ~ ".title": each page test renders every action
    assert asked, "the templates ask for words"
    for language in LANGUAGES:
        missing = [key for key in asked if not _has(language, key)]
        assert not missing, f"{language}: {missing}"


def _has(language: str, key: str) -> bool:
    return key in _catalogue()[language]


def test_an_unknown_language_falls_back_to_english():
    assert text("sv", "thanks.title") == text("en", "thanks.title") == "Thank you"
    assert text(None, "linkpage.expired.title") == "This link has expired"
    assert 'lang="en"' in render_page("thank_you", "xx", back_to=None)


# --- pages ----------------------------------------------------------------------------------------


def test_the_thank_you_page_speaks_the_sites_language_and_escapes_where_it_links_back_to():
    page = render_page("thank_you", "da", back_to='https://www.nordlys-solar.dk/"><script>alert(1)</script>')
    assert '<html lang="da">' in page and "Tak for din henvendelse" in page
    assert "<script>" not in page and "&#34;&gt;&lt;script&gt;" in page


CARD = LeadCard(
    name="Mette Hansen", company="Hansen ApS", message="Ring gerne\nefter kl. 16",
    first_touch=Touchpoint("E-mail", "spring"),
    last_touch=Touchpoint("Direct visit", None), pages=(PageSeen("Priser", "https://example.dk/priser", 2, "i dag"),),
    more_pages=0, arrived="mandag", deadline="tirsdag", overdue=False, email="mette@hansen.dk",
    email_href="mailto:mette@hansen.dk", phone="+45 12", phone_href="tel:+4512",
)


def _link_page(kind: str, action: str = "accept", **context: object) -> tuple[str, dict[str, object]]:
    page = LinkPage(kind=kind, language="en", action=action, handover_id="ho_1", context=context)
    return page.template, {**page.values(), "form_query": "token=a.b", "other_query": "token=c.d"}


LINK_PAGES = [
    _link_page("open"), _link_page("open", "decline"),
    _link_page("accepted", card=CARD, contact_due="torsdag", contact_within="24 timer"),
    _link_page("accepted", card=CARD, already=True, accepted_at="mandag"), _link_page("declined", "decline"),
    _link_page("accepted_before", "decline", card=CARD, accepted_at="mandag"),
    *[_link_page(kind, who="sales-b@demo.dk", accepted_at="mandag") for kind in
      ("accepted_by_other", "reassigned", "gap", "declined_before", "moved_on", "failed", "expired", "invalid",
       "missing")],
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "context"), [("thank_you", {"back_to": None}), *LINK_PAGES])
def test_every_page_renders_in_both_languages_as_one_language(name: str, context: dict[str, object], language: str):
    if name == "link_confirm":
        context = {**context, "card": CARD}
    page = render_page(name, language, **context)
    other = "en" if language == "da" else "da"
    assert f'<html lang="{language}">' in page and page.rstrip().endswith("</html>")
    title = re.search(r"<title>(.*)</title>", page)
    assert title and title.group(1) and title.group(1) != render_page(name, other, **context).split("<title>")[1]
    # An empty icon: the browser asks for no /favicon.ico, which the API does not serve.
    assert '<link rel="icon" href="data:,">' in page.split("</head>")[0]


def test_the_confirmation_page_posts_the_token_back_to_its_own_address_and_the_other_action_beside_it():
    page = render_page("link_confirm", "en", **{**_link_page("open", "decline")[1], "card": CARD,
                                                "form_query": "token=a.b%22c"})
    assert '<form method="post" action="?token=a.b%22c" class="act panel">' in page
    assert '<form method="post" action="accept?token=c.d" class="act panel other">' in page
    assert 'name="reason" maxlength="500"' in page and '<label for="reason">Reason (optional)</label>' in page
    assert page.index("Decline the lead") < page.index("Accept the lead")


def test_contact_details_are_on_the_card_only_when_asked_for():
    hidden = render_page("link_confirm", "en", **{**_link_page("open")[1], "card": CARD})
    name, context = _link_page("accepted", card=CARD)
    shown = render_page(name, "en", **context)
    assert "mette@hansen.dk" not in hidden and "tel:" not in hidden
    assert '<a href="mailto:mette@hansen.dk">mette@hansen.dk</a>' in shown and '<a href="tel:+4512">+45 12</a>' in shown


def test_a_time_is_written_for_people_in_the_zone_and_the_language():
    moment = "2026-12-01T09:00:00.000Z"
    assert human_time(moment, "Europe/Copenhagen", "da") == "tirsdag 1. december kl. 10:00 (Europe/Copenhagen)"
    assert human_time(moment, "Europe/Copenhagen", "en") == "Tuesday 1 December at 10:00 (Europe/Copenhagen)"
    assert human_time(moment, "UTC", "en") == "Tuesday 1 December at 09:00 (UTC)"
    assert human_time("2027-01-04T07:00:00.000Z", "Europe/Copenhagen", "da",
                      now=datetime(2026, 12, 30, tzinfo=UTC)) == "mandag 4. januar 2027 kl. 08:00 (Europe/Copenhagen)"
    # Summer time: Copenhagen is two hours ahead in July.
    assert human_time("2026-07-01T10:00:00.000Z", "Europe/Copenhagen", "en").endswith("at 12:00 (Europe/Copenhagen)")


def test_a_duration_is_written_in_whole_units():
    assert human_duration(timedelta(hours=24), "en") == "1 day"
    assert human_duration(timedelta(hours=24), "da", days=False) == "24 timer"
    assert human_duration(timedelta(days=2, hours=1, minutes=30), "en") == "2 days, 1 hour and 30 minutes"
    assert human_duration(timedelta(minutes=1), "da") == "1 minut"


# --- e-mails --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["offer", "reminder", "escalation"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_hostile_name_keeps_the_subject_on_one_line(kind: str, language: str):
    subject, _, _ = _email(kind, language)
    assert "\r" not in subject and "\n" not in subject and not re.search(r"[\x00-\x1f\x7f]", subject)
    assert "Bo Accept: https://evil.example" in subject


@pytest.mark.parametrize("kind", ["offer", "reminder"])
def test_a_hostile_name_cannot_put_a_fake_accept_line_in_the_text_part(kind: str):
    _, body, _ = _email(kind)
    lines = body.splitlines()
    accept_lines = [line for line in lines if line.startswith("Accept")]
    assert accept_lines == [f"Accept: {ACCEPT}"]
    real = lines.index(f"Accept: {ACCEPT}")
    assert all("evil.example" not in line for line in lines[:real + 2])
    assert f"Name: {single_line(HOSTILE)}" in lines[real + 2:]


@pytest.mark.parametrize("kind", ["offer", "reminder", "escalation"])
def test_the_html_part_escapes_a_hostile_name(kind: str):
    _, _, html = _email(kind)
    assert '<a href="https://evil.example">' not in html and "<b>A/S</b>" not in html
    assert "&lt;a href=&#34;https://evil.example&#34;&gt;Accept&lt;/a&gt;" in html
    assert "Firma &lt;b&gt;A/S&lt;/b&gt;" in html
    body = html.split("<body", 1)[1]
    if kind != "escalation":
        assert body.index(f'href="{ACCEPT}"') < body.index("evil.example")


def test_control_characters_and_line_separators_fold_to_spaces():
    assert single_line("a\r\nb\tc\x00d\u2028e\x85f\u202eg") == "a b c d e f g"


# --- the hand-over e-mails, as the notifier composes them -----------------------------------------


def test_the_offer_carries_who_the_deadline_both_links_and_the_lead_but_no_contact_details():
    lead = Lead(tenant_id="demo", lead_id="lead_1", email="karen@firma.dk", stage="consideration",
                stage_entered_at="2026-11-23T09:30:00.000Z", lead_type="contact", first_touch=DIRECT,
                last_touch=DIRECT, created_at="2026-11-23T09:30:00.000Z", updated_at="2026-11-23T09:30:00.000Z",
                name="Karen Jensen", company="Firma A/S", phone="+45 12345678", fields={"postcode": "8000"})
    message = compose(_notification(), "en", lead, ACCEPT, DECLINE, "Europe/Copenhagen")
    assert message.subject == "New lead for you: Karen Jensen"
    for part in (message.text, message.html or ""):
        for fact in ("2026-11-23 14:30 CET", "Karen Jensen", "Firma A/S", "8000"):
            assert fact in part
        # The lead card shows how to reach the lead after accept; the e-mail never does before it.
        assert "karen@firma.dk" not in part and "12345678" not in part
        assert "once you have accepted it" in part
    assert f"Accept: {ACCEPT}" in message.text and f"Decline: {DECLINE}" in message.text
    assert ACCEPT.replace("&", "&amp;") in (message.html or "")


def test_an_offer_for_a_lead_without_name_or_company_names_only_the_e_mails_domain():
    lead = Lead(tenant_id="demo", lead_id="lead_1", email="karen@firma.dk", stage="consideration",
                stage_entered_at="2026-11-23T09:30:00.000Z", lead_type="contact", first_touch=DIRECT,
                last_touch=DIRECT, created_at="2026-11-23T09:30:00.000Z", updated_at="2026-11-23T09:30:00.000Z")
    message = compose(_notification(), "da", lead, ACCEPT, DECLINE, "Europe/Copenhagen")
    assert message.subject == "Nyt lead til dig: …@firma.dk"
    assert "karen" not in message.text and "lead_1" not in message.subject


def test_the_escalation_names_the_owner_and_the_handover_and_has_no_links():
    message = compose(_notification("escalation"), "da", None, ACCEPT, DECLINE, "Europe/Copenhagen")
    assert message.subject == "Lead ikke accepteret til tiden: lead_1"
    for part in (message.text, message.html or ""):
        assert "sales-a@demo.dk" in part and "ho_1" in part and "2026-11-23 14:30 CET" in part
        assert ACCEPT not in part and "token=" not in part


def test_the_danish_offer_is_danish_throughout():
    message = compose(_notification(), "da", None, ACCEPT, DECLINE, "Europe/Copenhagen")
    assert "Acceptér det senest 2026-11-23 14:30 CET." in message.text
    assert "Please" not in message.text and 'lang="da"' in (message.html or "")


def test_templates_are_not_built_at_import():
    source = Path(__file__).resolve().parents[2] / "chalicelib" / "rendering.py"
    top_level = [line for line in source.read_text().splitlines() if line.startswith(("import ", "from "))]
    assert not any("jinja2" in line for line in top_level)
