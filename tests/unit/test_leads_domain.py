"""What a form submission does to a lead: who the lead is, where it came from, and how far it has come."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.domain.attribution import DIRECT, Landing, Touch
from chalicelib.domain.leads import Lead, Submission, SubmissionOutcome, apply_submission, lead_id_for

SITE = "https://www.nordlys-solar.dk"
MONDAY = datetime(2026, 11, 23, 10, 15, 30, 250000, tzinfo=UTC)
MONDAY_ISO = "2026-11-23T10:15:30.250Z"
THURSDAY = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
THURSDAY_ISO = "2026-11-26T14:00:00.000Z"


def event_ids(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def submit(
    tenant_id: str,
    submission: Submission,
    landings: Sequence[Landing] = (),
    existing: Lead | None = None,
    now: datetime = MONDAY,
    ids: str = "ev",
) -> SubmissionOutcome:
    return apply_submission(tenant_id, existing, submission, landings, now, event_ids(ids))


# --- one person, one lead ----------------------------------------------------------------------------------


def test_the_same_person_is_the_same_lead_in_any_letter_case_or_surrounding_space():
    assert lead_id_for("t-nordlys", "  Mette.Hansen@Firma.DK\n") == lead_id_for("t-nordlys", "mette.hansen@firma.dk")


def test_the_same_person_is_a_different_lead_for_each_tenant():
    assert lead_id_for("t-nordlys", "mette@firma.dk") != lead_id_for("t-solshop", "mette@firma.dk")


def test_different_people_are_different_leads():
    assert lead_id_for("t-nordlys", "mette@firma.dk") != lead_id_for("t-nordlys", "jens@firma.dk")


def test_a_lead_id_does_not_give_away_the_email_address():
    lead_id = lead_id_for("t-nordlys", "mette@firma.dk")

    assert lead_id.startswith("ld_")
    assert "mette" not in lead_id and "firma" not in lead_id


# --- a new lead --------------------------------------------------------------------------------------------


def test_a_first_submission_creates_a_lead_that_moves_from_awareness_to_consideration():
    # Given a person nobody knows yet
    submission = Submission(email=" Sofie@Byg.DK ", form="tilbud", name="Sofie Berg", visitor_id="vis-sofie-0001")

    # When they send the quote form
    outcome = submit("t-new-lead", submission, ids="new")

    # Then a lead is created in consideration, with a form event and the stage change it caused
    assert outcome.created
    lead = outcome.lead
    assert lead.lead_id == lead_id_for("t-new-lead", "sofie@byg.dk")
    assert (lead.email, lead.name, lead.tenant_id) == ("sofie@byg.dk", "Sofie Berg", "t-new-lead")
    assert (lead.stage, lead.stage_entered_at) == ("consideration", MONDAY_ISO)
    assert (lead.created_at, lead.updated_at, lead.submissions) == (MONDAY_ISO, MONDAY_ISO, 1)
    submitted, stage_change = outcome.events
    assert (submitted.event_id, submitted.type, submitted.at, submitted.seq) == ("new-1", "form_submit", MONDAY_ISO, 0)
    assert submitted.details["form"] == "tilbud"
    assert (stage_change.event_id, stage_change.type, stage_change.at) == ("new-2", "stage_change", MONDAY_ISO)
    assert stage_change.details == {"from": "awareness", "to": "consideration", "cause": "form_submit",
                                         "rule": "event:form_submit", "entered_from_at": MONDAY_ISO}


def test_the_stage_change_is_ordered_after_the_submission_that_caused_it_in_the_same_millisecond():
    outcome = submit("t-seq", Submission(email="seq@byg.dk"))

    assert [(event.type, event.seq) for event in outcome.events] == [("form_submit", 0), ("stage_change", 1)]


def test_a_new_lead_is_attributed_to_its_first_and_last_non_direct_landing():
    landings = [
        Landing(f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=Vinter", "https://www.google.com/"),
        Landing(f"{SITE}/", "https://www.linkedin.com/"),
        Landing(f"{SITE}/kontakt", f"{SITE}/"),
    ]

    outcome = submit("t-attr", Submission(email="ole@byg.dk"), landings)

    assert outcome.lead.first_touch == Touch("paid_search", "google", "cpc", "Vinter")
    assert outcome.lead.last_touch == Touch("social", "linkedin.com", "social", None)
    assert (outcome.events[0].details["channel"], outcome.events[0].details["campaign"]) == ("social", None)


def test_a_lead_without_any_landings_is_direct():
    outcome = submit("t-direct", Submission(email="direkte@byg.dk"))

    assert (outcome.lead.first_touch, outcome.lead.last_touch) == (DIRECT, DIRECT)


def test_the_form_event_records_what_was_sent():
    submission = Submission(
        email="karen@byg.dk", form="kontakt", message="Ring efter kl. 16", visitor_id="vis-karen-01",
        page_url=f"{SITE}/kontakt", ip="203.0.113.0", consent={"marketing": True},
    )

    outcome = submit("t-details", submission, [Landing(f"{SITE}/?utm_source=nl&utm_medium=email&utm_campaign=Nov")])

    details = outcome.events[0].details
    assert details == {
        "form": "kontakt", "message": "Ring efter kl. 16", "visitor_id": "vis-karen-01", "page_url": f"{SITE}/kontakt",
        "consent": {"marketing": True}, "consent_source": "form:kontakt", "ip": "203.0.113.0", "channel": "email",
        "campaign": "Nov",
    }


def test_the_form_event_keeps_the_contact_details_and_fields_that_were_sent():
    submission = Submission(email="karen@byg.dk", name="Karen Lund", phone="+45 11 22 33 44", company="Lund ApS",
                            referred_by="Jens", fields={"postcode": "8000"})

    details = submit("t-sent", submission).events[0].details

    assert details["submitted"] == {"name": "Karen Lund", "phone": "+45 11 22 33 44", "company": "Lund ApS",
                                    "referred_by": "Jens", "fields": {"postcode": "8000"}}


# --- lead type ---------------------------------------------------------------------------------------------


def test_a_lead_referred_by_someone_is_a_referral():
    outcome = submit("t-ref-by", Submission(email="peter@byg.dk", referred_by="Jens Madsen"))

    assert (outcome.lead.lead_type, outcome.lead.referred_by) == ("referral", "Jens Madsen")


def test_a_lead_that_arrived_through_a_referral_link_is_a_referral():
    landings = [
        Landing(f"{SITE}/?utm_source=energitjek&utm_medium=Referral", None),
        Landing(f"{SITE}/kontakt", f"{SITE}/"),
    ]

    outcome = submit("t-ref-link", Submission(email="lise@byg.dk"), landings)

    assert outcome.lead.lead_type == "referral"


def test_a_referral_landing_earlier_in_the_journey_is_enough_to_make_a_referral():
    landings = [
        Landing(f"{SITE}/?utm_source=energitjek&utm_medium=referral", None),
        Landing(f"{SITE}/?gclid=abc", "https://www.google.com/"),
    ]

    outcome = submit("t-ref-early", Submission(email="bo@byg.dk"), landings)

    assert outcome.lead.lead_type == "referral"


def test_a_lead_from_ads_or_partner_sites_without_a_referral_medium_is_marketing():
    landings = [
        Landing(f"{SITE}/?utm_source=partnerads&utm_medium=affiliate", None),
        Landing(f"{SITE}/", "https://www.bolius.dk/"),
    ]

    outcome = submit("t-marketing", Submission(email="anna@byg.dk"), landings)

    assert outcome.lead.lead_type == "marketing"


# --- a returning lead --------------------------------------------------------------------------------------


def returning_lead(tenant_id: str, email: str) -> Lead:
    """A lead won by a Google ad on Monday, already in consideration."""
    landings = [Landing(f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=Vinter", "https://www.google.com/")]
    return submit(tenant_id, Submission(email=email, name="Mads Holm", company="Holm ApS",
                                        visitor_id="vis-mads-001", fields={"postcode": "8000"}), landings).lead


def test_lead_keeps_first_touch_when_visitor_returns_from_email():
    # Given a lead first won by a Google ad
    lead = returning_lead("t-return-email", "mads@holm.dk")

    # When the person comes back through the December newsletter on Thursday and sends another form
    landings = [Landing(f"{SITE}/?utm_source=nyhedsbrev&utm_medium=email&utm_campaign=December", None)]
    outcome = submit("t-return-email", Submission(email="MADS@holm.dk"), landings, existing=lead, now=THURSDAY)

    # Then the ad keeps the first touch, the newsletter gets the last touch, and the lead is not new
    assert not outcome.created
    assert outcome.lead.lead_id == lead.lead_id
    assert outcome.lead.first_touch == Touch("paid_search", "google", "cpc", "Vinter")
    assert outcome.lead.last_touch == Touch("email", "nyhedsbrev", "email", "December")


def test_a_returning_lead_gets_a_new_form_event_but_no_second_stage_change():
    lead = returning_lead("t-return-events", "mads@holm.dk")

    outcome = submit("t-return-events", Submission(email="mads@holm.dk", form="service"), existing=lead,
                     now=THURSDAY, ids="again")

    assert [(event.event_id, event.type, event.at) for event in outcome.events] == [
        ("again-1", "form_submit", THURSDAY_ISO)
    ]
    assert outcome.lead.stage == "consideration"
    assert outcome.lead.stage_entered_at == MONDAY_ISO
    assert (outcome.lead.submissions, outcome.lead.created_at, outcome.lead.updated_at) == (2, MONDAY_ISO,
                                                                                             THURSDAY_ISO)


def test_a_direct_return_keeps_the_last_touch_of_the_earlier_campaign():
    lead = returning_lead("t-return-direct", "mads@holm.dk")

    outcome = submit("t-return-direct", Submission(email="mads@holm.dk"), [Landing(f"{SITE}/kontakt", None)],
                     existing=lead, now=THURSDAY)

    assert outcome.lead.last_touch == Touch("paid_search", "google", "cpc", "Vinter")
    assert outcome.events[0].details["channel"] == "paid_search"


def test_a_marketing_lead_stays_marketing_when_it_later_names_a_referrer():
    # Given a lead won by marketing
    lead = returning_lead("t-no-flip", "mads@holm.dk")
    assert lead.lead_type == "marketing"

    # When the person later writes who recommended us, and arrives through a referral link
    landings = [Landing(f"{SITE}/?utm_source=naboen&utm_medium=referral", None)]
    outcome = submit("t-no-flip", Submission(email="mads@holm.dk", referred_by="Naboen"), landings, existing=lead,
                     now=THURSDAY)

    # Then the referrer is noted, but the lead type never flips
    assert outcome.lead.referred_by == "Naboen"
    assert outcome.lead.lead_type == "marketing"


def test_a_referral_lead_stays_referral_when_it_returns_from_an_ad():
    lead = submit("t-stay-ref", Submission(email="eva@byg.dk", referred_by="Jens")).lead

    outcome = submit("t-stay-ref", Submission(email="eva@byg.dk"), [Landing(f"{SITE}/?gclid=xyz")], existing=lead,
                     now=THURSDAY)

    assert (outcome.lead.lead_type, outcome.lead.referred_by) == ("referral", "Jens")


def test_a_returning_lead_keeps_what_it_told_us_unless_it_tells_us_something_new():
    lead = returning_lead("t-keep-details", "mads@holm.dk")

    outcome = submit("t-keep-details", Submission(email="mads@holm.dk", phone="+45 20 30 40 50",
                                                  fields={"roof": "tegl"}), existing=lead, now=THURSDAY)

    assert (outcome.lead.name, outcome.lead.company, outcome.lead.phone) == ("Mads Holm", "Holm ApS",
                                                                             "+45 20 30 40 50")
    assert outcome.lead.fields == {"postcode": "8000", "roof": "tegl"}


# --- an unauthenticated form never replaces what the lead holds -------------------------------------------


def test_a_later_form_with_other_contact_details_keeps_the_leads_and_records_the_others_in_its_event():
    # Given a lead who told us their name, company and phone
    lead = submit("t-stranger", Submission(email="mads@holm.dk", name="Mads Holm", company="Holm ApS",
                                           phone="+45 20 30 40 50")).lead

    # When anyone who knows the e-mail posts a form with other details
    outcome = submit("t-stranger", Submission(email="mads@holm.dk", name="Hacker", company="Evil Corp",
                                              phone="+45 99 99 99 99"), existing=lead, now=THURSDAY)

    # Then the lead keeps what it held, and the form's own values are kept in its event, marked as not applied
    assert (outcome.lead.name, outcome.lead.company, outcome.lead.phone) == ("Mads Holm", "Holm ApS",
                                                                             "+45 20 30 40 50")
    details = outcome.events[0].details
    assert details["submitted"] == {"name": "Hacker", "company": "Evil Corp", "phone": "+45 99 99 99 99"}
    assert details["details_not_applied"] == ["name", "phone", "company"]


def test_a_later_form_with_the_same_details_marks_nothing_as_not_applied():
    lead = submit("t-same", Submission(email="mads@holm.dk", name="Mads Holm")).lead

    outcome = submit("t-same", Submission(email="mads@holm.dk", name="Mads Holm", company="Holm ApS"),
                     existing=lead, now=THURSDAY)

    assert (outcome.lead.name, outcome.lead.company) == ("Mads Holm", "Holm ApS")
    assert "details_not_applied" not in outcome.events[0].details


def test_a_later_grant_does_not_overturn_an_earlier_refusal_but_is_recorded_in_its_event():
    # Given a lead who refused marketing
    lead = submit("t-refused", Submission(email="ida@byg.dk", form="tilbud", consent={"marketing": False})).lead

    # When a later form says yes to marketing and to a purpose not answered before
    outcome = submit("t-refused", Submission(email="ida@byg.dk", form="kontakt",
                                             consent={"marketing": True, "newsletter": True}),
                     existing=lead, now=THURSDAY)

    # Then the refusal stands, the new purpose is recorded with its source, and the event tells both
    assert outcome.lead.consent == {
        "marketing": {"granted": False, "at": MONDAY_ISO, "source": "form:tilbud"},
        "newsletter": {"granted": True, "at": THURSDAY_ISO, "source": "form:kontakt"},
    }
    details = outcome.events[0].details
    assert (details["consent"], details["consent_source"]) == ({"marketing": True, "newsletter": True},
                                                               "form:kontakt")
    assert details["consent_not_applied"] == ["marketing"]


def test_a_withdrawal_is_always_honoured():
    lead = submit("t-withdraw", Submission(email="ida@byg.dk", consent={"marketing": True})).lead

    outcome = submit("t-withdraw", Submission(email="ida@byg.dk", form="afmeld", consent={"marketing": False}),
                     existing=lead, now=THURSDAY)

    assert outcome.lead.consent["marketing"] == {"granted": False, "at": THURSDAY_ISO, "source": "form:afmeld"}
    assert "consent_not_applied" not in outcome.events[0].details


def test_a_repeated_answer_keeps_the_first_record_of_it():
    lead = submit("t-repeat", Submission(email="ida@byg.dk", form="tilbud", consent={"marketing": True})).lead

    outcome = submit("t-repeat", Submission(email="ida@byg.dk", form="kontakt", consent={"marketing": True}),
                     existing=lead, now=THURSDAY)

    assert outcome.lead.consent == lead.consent


# --- one lead item stays small, however often the person (or anyone) posts ------------------------------------


def test_extra_fields_keep_the_latest_values_and_at_most_twenty_names_the_newest_winning():
    # Given a lead that has sent twenty different extra fields
    lead = submit("t-fields", Submission(email="bo@byg.dk", fields={f"old_{n}": "x" for n in range(20)})).lead

    # When it posts again and again, each time with new names and a new value for one it has
    for round_ in range(30):
        lead = submit("t-fields", Submission(email="bo@byg.dk", fields={f"new_{round_}": "y", "old_19": f"v{round_}"}),
                      existing=lead, now=THURSDAY).lead

    # Then it holds twenty fields, the latest values of those it sent last
    assert len(lead.fields) == 20
    assert lead.fields["new_29"] == "y" and lead.fields["old_19"] == "v29"


def test_a_submission_of_more_than_twenty_extra_fields_keeps_twenty():
    outcome = submit("t-many", Submission(email="bo@byg.dk", fields={f"f{n}": "x" for n in range(50)}))

    assert len(outcome.lead.fields) == 20
    assert len(outcome.events[0].details["submitted"]["fields"]) == 20


def test_every_text_the_lead_and_its_event_hold_is_bounded_and_storable():
    submission = Submission(
        email="bo@byg.dk", name="N" * 10_000, phone="1" * 1000, company="C" * 10_000, message="M" * 100_000,
        referred_by="R" * 10_000, page_url="https://x.dk/" + "p" * 10_000, fields={"note": "v" * 10_000,
                                                                                  "x" * 300: "long name"},
    )

    outcome = submit("t-bounded", submission)
    lead, details = outcome.lead, outcome.events[0].details
    assert (len(lead.name or ""), len(lead.phone or ""), len(lead.company or "")) == (200, 40, 200)
    assert len(lead.referred_by or "") == 200
    assert lead.fields == {"note": "v" * 500}
    assert len(details["message"]) == 5000 and len(details["page_url"]) == 2048


def test_a_lone_surrogate_is_replaced_so_that_the_lead_can_be_stored():
    outcome = submit("t-surrogate", Submission(email="bo@byg.dk", name="Bo \ud800", message="\udfff",
                                               fields={"note": "a\ud800b"}))

    assert outcome.lead.name == "Bo ?" and outcome.lead.fields == {"note": "a?b"}
    assert outcome.events[0].details["message"] == "?"


def test_consent_purposes_are_bounded_but_a_withdrawal_of_a_held_one_is_still_honoured():
    lead = submit("t-purposes", Submission(email="bo@byg.dk", consent={f"p{n}": True for n in range(20)})).lead

    outcome = submit("t-purposes", Submission(email="bo@byg.dk", consent={
        **{f"q{n}": True for n in range(100)}, "p7": False,
    }), existing=lead, now=THURSDAY)

    assert len(outcome.lead.consent) == 20
    assert outcome.lead.consent["p7"]["granted"] is False
    assert len(outcome.events[0].details["consent"]) <= 40


def test_visitors_are_bounded_keeping_the_first_and_the_newest():
    lead = submit("t-vis", Submission(email="bo@byg.dk", visitor_id="vis-first-0")).lead
    for n in range(40):
        lead = submit("t-vis", Submission(email="bo@byg.dk", visitor_id=f"vis-{n:04d}"), existing=lead).lead

    assert len(lead.visitors) == 20
    assert lead.visitors[0] == "vis-first-0" and lead.visitors[-1] == "vis-0039"


# --- stages only move forward ------------------------------------------------------------------------------


def test_a_customer_is_never_moved_back_by_a_form():
    # Given a lead who has become a customer
    customer = replace(returning_lead("t-customer", "mads@holm.dk"), stage="customer",
                       stage_entered_at="2026-11-25T08:00:00.000Z")

    # When they send the service form
    outcome = submit("t-customer", Submission(email="mads@holm.dk", form="service"), existing=customer, now=THURSDAY)

    # Then they stay a customer, and only the form is recorded
    assert (outcome.lead.stage, outcome.lead.stage_entered_at) == ("customer", "2026-11-25T08:00:00.000Z")
    assert [event.type for event in outcome.events] == ["form_submit"]


def test_a_lead_in_decision_is_not_moved_back_to_consideration():
    deciding = replace(returning_lead("t-decision", "mads@holm.dk"), stage="decision")

    outcome = submit("t-decision", Submission(email="mads@holm.dk"), existing=deciding, now=THURSDAY)

    assert outcome.lead.stage == "decision"
    assert [event.type for event in outcome.events] == ["form_submit"]


def test_a_known_lead_still_in_awareness_is_moved_to_consideration_by_its_first_form():
    # A lead imported or created by hand starts in awareness; its first form moves it on.
    known = replace(returning_lead("t-aware", "mads@holm.dk"), stage="awareness")

    outcome = submit("t-aware", Submission(email="mads@holm.dk"), existing=known, now=THURSDAY, ids="aw")

    assert (outcome.lead.stage, outcome.lead.stage_entered_at) == ("consideration", THURSDAY_ISO)
    assert outcome.events[1].details == {"from": "awareness", "to": "consideration", "cause": "form_submit",
                                         "rule": "event:form_submit", "entered_from_at": MONDAY_ISO}


# --- consent -----------------------------------------------------------------------------------------------


def test_consent_is_recorded_with_its_time_and_the_form_it_came_from():
    outcome = submit("t-consent", Submission(email="ida@byg.dk", form="tilbud",
                                             consent={"marketing": True, "phone_calls": False}))

    assert outcome.lead.consent == {
        "marketing": {"granted": True, "at": MONDAY_ISO, "source": "form:tilbud"},
        "phone_calls": {"granted": False, "at": MONDAY_ISO, "source": "form:tilbud"},
    }


def test_a_later_answer_replaces_consent_for_that_purpose_only():
    first = submit("t-consent-later", Submission(email="ida@byg.dk", form="tilbud",
                                                 consent={"marketing": True, "newsletter": True})).lead

    later = submit("t-consent-later", Submission(email="ida@byg.dk", form="afmeld", consent={"newsletter": False}),
                   existing=first, now=THURSDAY).lead

    assert later.consent == {
        "marketing": {"granted": True, "at": MONDAY_ISO, "source": "form:tilbud"},
        "newsletter": {"granted": False, "at": THURSDAY_ISO, "source": "form:afmeld"},
    }


def test_a_form_without_consent_fields_leaves_consent_as_it_was():
    first = submit("t-consent-kept", Submission(email="ida@byg.dk", consent={"marketing": True})).lead

    later = submit("t-consent-kept", Submission(email="ida@byg.dk"), existing=first, now=THURSDAY).lead

    assert later.consent == first.consent


# --- visitors ----------------------------------------------------------------------------------------------


def test_visitor_ids_accumulate_without_duplicates():
    # Given a person who sent a form from their laptop
    first = submit("t-visitors", Submission(email="nils@byg.dk", visitor_id="vis-laptop-01")).lead

    # When they send forms again from the laptop and then from their phone
    again = submit("t-visitors", Submission(email="nils@byg.dk", visitor_id="vis-laptop-01"), existing=first).lead
    phone = submit("t-visitors", Submission(email="nils@byg.dk", visitor_id="vis-phone-002"), existing=again).lead

    # Then both browsers belong to the lead, each once, in the order they were seen
    assert phone.visitors == ("vis-laptop-01", "vis-phone-002")


def test_a_submission_without_a_visitor_id_adds_no_visitor():
    first = submit("t-no-visitor", Submission(email="nils@byg.dk", visitor_id="vis-laptop-01")).lead

    outcome = submit("t-no-visitor", Submission(email="nils@byg.dk"), existing=first)

    assert outcome.lead.visitors == ("vis-laptop-01",)
    assert outcome.visitor_id is None


def test_a_first_submission_without_a_visitor_id_has_no_visitors():
    assert submit("t-no-visitor-new", Submission(email="nils@byg.dk")).lead.visitors == ()


# --- the tenant's own stages -------------------------------------------------------------------------------


def test_a_lead_moves_through_the_tenants_own_stages():
    from chalicelib.domain.stages import StageRules

    rules = StageRules.of(("new", "qualified", "offer", "won"))
    outcome = apply_submission("t1", None, Submission(email="a@b.dk"), [], MONDAY, event_ids("ev"), rules)
    assert outcome.lead.stage == "qualified"
    change = outcome.events[-1]
    assert (change.type, change.details["from"], change.details["to"]) == ("stage_change", "new", "qualified")


def test_a_form_leads_where_the_journey_says_and_never_back():
    from chalicelib.domain.stages import StageRules

    rules = StageRules.of(("new", "qualified", "offer", "won"), {"form_submit": "offer"})
    first = apply_submission("t1", None, Submission(email="a@b.dk"), [], MONDAY, event_ids("ev"), rules)
    assert first.lead.stage == "offer"
    won = replace(first.lead, stage="won")
    again = apply_submission("t1", won, Submission(email="a@b.dk"), [], THURSDAY, event_ids("ev2"), rules)
    assert again.lead.stage == "won" and [event.type for event in again.events] == ["form_submit"]


def test_a_journey_whose_forms_move_no_one_keeps_new_leads_in_the_first_stage():
    from chalicelib.domain.stages import StageRules

    rules = StageRules(stages=("open", "won"), stage_on={})
    outcome = apply_submission("t1", None, Submission(email="a@b.dk"), [], MONDAY, event_ids("ev"), rules)
    assert outcome.lead.stage == "open" and [event.type for event in outcome.events] == ["form_submit"]
