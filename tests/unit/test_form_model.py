"""The edge models: a contact form as a browser or a JSON client sends it, and one captured page view."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.errors import InvalidInput
from chalicelib.models import CollectedEvent, FormSubmission

# --- FormSubmission.from_fields ----------------------------------------------------------------------------


def refused(raw: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        FormSubmission.from_fields(raw)
    return caught.value


def test_a_plain_html_form_is_sorted_into_known_fields_consent_control_fields_and_extras():
    # Given what a browser posts from the quote form
    raw = {
        "email": "sofie@byg.dk", "name": "Sofie Berg", "phone": "+45 20 30 40 50", "company": "Byg ApS",
        "message": "Hvad koster 8 kW?", "et_vid": "vis-sofie-0001", "page_url": "https://www.byg.dk/tilbud",
        "consent_marketing": "on", "_gotcha": "", "_next": "/tak", "_form": "tilbud",
        "postcode": "8000", "roof_type": "tegl",
    }

    # When it is read
    form = FormSubmission.from_fields(raw)

    # Then every field ends up where it belongs
    assert (form.email, form.name, form.phone, form.company) == ("sofie@byg.dk", "Sofie Berg", "+45 20 30 40 50",
                                                                 "Byg ApS")
    assert (form.message, form.et_vid, form.page_url) == ("Hvad koster 8 kW?", "vis-sofie-0001",
                                                          "https://www.byg.dk/tilbud")
    assert form.consent == {"marketing": True}
    assert (form.form, form.next) == ("tilbud", "/tak")
    assert form.fields == {"postcode": "8000", "roof_type": "tegl"}


@pytest.mark.parametrize(("value", "granted"), [
    ("on", True), ("true", True), ("ja", True), ("yes", True), ("1", True), (" TRUE ", True), (True, True),
    ("false", False), ("off", False), ("nej", False), ("no", False), ("0", False), ("", False), (False, False),
])
def test_consent_flags_are_read_from_the_ways_forms_say_yes_and_no(value, granted):
    form = FormSubmission.from_fields({"email": "flag@byg.dk", "consent_newsletter": value})

    assert form.consent == {"newsletter": granted}


def test_several_consent_purposes_are_kept_apart():
    form = FormSubmission.from_fields({"email": "flags@byg.dk", "consent_marketing": "ja",
                                       "consent_phone_calls": "false"})

    assert form.consent == {"marketing": True, "phone_calls": False}


def test_a_form_without_control_fields_gets_the_defaults():
    form = FormSubmission.from_fields({"email": "plain@byg.dk"})

    assert (form.form, form.gotcha, form.next, form.consent, form.fields) == ("contact", None, None, {}, {})


def test_a_filled_honeypot_is_kept_for_the_spam_check():
    form = FormSubmission.from_fields({"email": "bot@spam.example", "_gotcha": "http://cheap-pills.example"})

    assert form.gotcha == "http://cheap-pills.example"


def test_extra_number_values_from_a_json_client_are_kept_as_text():
    form = FormSubmission.from_fields({"email": "json@byg.dk", "kwh_per_year": 4500, "roof_pitch": 37.5})

    assert form.fields == {"kwh_per_year": "4500", "roof_pitch": "37.5"}


def test_blank_extra_fields_are_dropped():
    form = FormSubmission.from_fields({"email": "blank@byg.dk", "postcode": "   ", "product": "solceller"})

    assert form.fields == {"product": "solceller"}


@pytest.mark.parametrize("name", ["name", "phone", "company", "message", "et_vid", "referred_by", "page_url"])
def test_a_blank_optional_field_is_no_value_rather_than_an_error(name):
    form = FormSubmission.from_fields({"email": "blank@byg.dk", name: "   "})

    assert getattr(form, name) is None


def test_surrounding_whitespace_is_trimmed_from_known_fields():
    form = FormSubmission.from_fields({"email": "  trim@byg.dk ", "name": "  Ole Lund \n"})

    assert (form.email, form.name) == ("trim@byg.dk", "Ole Lund")


@pytest.mark.parametrize("email", ["not-an-email", "ole@", "@byg.dk", "ole lund@byg.dk", "", "   "])
def test_an_invalid_email_is_refused_and_named(email):
    error = refused({"email": email, "name": "Ole"})

    assert error.field == "email"
    assert [detail["field"] for detail in error.details] == ["email"]


def test_a_missing_email_is_refused_and_named():
    assert refused({"name": "Ole"}).field == "email"


@pytest.mark.parametrize("name", ["Postcode", "post-code", "1st_choice", "roof type", "x" * 41, "_secret", "føde"])
def test_a_field_name_outside_lower_case_letters_digits_and_underscore_is_refused_and_named(name):
    error = refused({"email": "ole@byg.dk", name: "x"})

    assert error.field == name


@pytest.mark.parametrize("name", ["consent_Marketing", "consent_sms-ok", "consent_sms ok"])
def test_a_malformed_consent_field_name_is_refused_and_named(name):
    assert refused({"email": "ole@byg.dk", name: "on"}).field == name


@pytest.mark.parametrize("value", ["maybe", "2", "jo", ["on"], {"granted": True}, None])
def test_a_consent_value_that_is_neither_yes_nor_no_is_refused_and_named(value):
    error = refused({"email": "ole@byg.dk", "consent_marketing": value})

    assert error.field == "consent_marketing"


@pytest.mark.parametrize("value", [["a", "b"], {"nested": "x"}, True, None])
def test_an_extra_field_that_is_not_text_is_refused_and_named(value):
    assert refused({"email": "ole@byg.dk", "roof_type": value}).field == "roof_type"


def test_an_over_long_extra_field_is_refused_under_its_own_name():
    assert refused({"email": "ole@byg.dk", "notes": "x" * 501}).field == "notes"


def test_twenty_extra_fields_are_accepted():
    raw = {"email": "many@byg.dk", **{f"extra_{n}": str(n) for n in range(20)}}

    assert len(FormSubmission.from_fields(raw).fields) == 20


def test_more_than_twenty_extra_fields_are_refused():
    raw = {"email": "many@byg.dk", **{f"extra_{n}": str(n) for n in range(21)}}

    assert refused(raw).field == "fields"


def test_blank_extra_fields_do_not_count_towards_the_limit():
    raw = {"email": "many@byg.dk", **{f"extra_{n}": str(n) for n in range(20)}, "empty_one": "", "empty_two": " "}

    assert len(FormSubmission.from_fields(raw).fields) == 20


@pytest.mark.parametrize(("raw_name", "value"), [
    ("_form", "quote form!"),
    ("_next", "/" + "x" * 2048),
    ("phone", "call me maybe"),
    ("et_vid", "short"),
    ("page_url", "javascript:alert(1)"),
])
def test_a_bad_control_or_known_field_is_named_as_the_form_sent_it(raw_name, value):
    assert refused({"email": "ole@byg.dk", raw_name: value}).field == raw_name


def test_every_fault_is_listed_and_the_first_one_is_named():
    error = refused({"email": "nope", "consent_marketing": "maybe", "Bad-Name": "x"})

    assert error.field == "consent_marketing"
    assert {detail["field"] for detail in error.details} == {"email", "consent_marketing", "Bad-Name"}


# --- CollectedEvent ----------------------------------------------------------------------------------------


def page_view(**changes: Any) -> dict[str, Any]:
    return {"type": "pageview", "url": "https://www.byg.dk/solceller", **changes}


@pytest.mark.parametrize("event_type", ["pageview", "email_open"])
def test_a_page_view_or_an_email_open_is_accepted(event_type):
    event = CollectedEvent.model_validate(page_view(type=event_type, ref="https://www.google.dk/", title="Solceller",
                                                    ts=1795428000000, id="ev-1"))

    assert (event.type, event.url, event.ref, event.title, event.ts, event.id) == (
        event_type, "https://www.byg.dk/solceller", "https://www.google.dk/", "Solceller", 1795428000000, "ev-1"
    )


@pytest.mark.parametrize("event_type", ["click", "PageView", "", None])
def test_any_other_event_type_is_refused(event_type):
    with pytest.raises(ValidationError) as caught:
        CollectedEvent.model_validate(page_view(type=event_type))

    assert [error["loc"] for error in caught.value.errors()] == [("type",)]


@pytest.mark.parametrize("url", ["http://byg.dk/", "https://www.byg.dk/side?x=1#top"])
def test_an_http_or_https_url_is_accepted(url):
    assert CollectedEvent.model_validate(page_view(url=url)).url == url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)",
    "ftp://byg.dk/fil",
    "file:///etc/passwd",
    "//byg.dk/side",
    "/solceller",
    "https://www.byg.dk/med mellemrum",
    "https://",
    "https://byg.dk/" + "x" * 2048,
])
def test_a_url_that_is_not_a_web_address_is_refused(url):
    with pytest.raises(ValidationError) as caught:
        CollectedEvent.model_validate(page_view(url=url))

    assert [error["loc"] for error in caught.value.errors()] == [("url",)]


def test_a_long_title_is_cut_to_300_characters_not_refused():
    title = "Solceller til parcelhuse | " + "Nordlys Solar " * 40

    event = CollectedEvent.model_validate(page_view(title=title))

    assert event.title == title[:300]


def test_a_title_of_exactly_300_characters_is_kept_whole():
    title = "t" * 300

    assert CollectedEvent.model_validate(page_view(title=title)).title == title


@pytest.mark.parametrize("ts", [1795428000000, 1795428000000.5, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00.123+01:00",
                                None])
def test_a_client_time_in_epoch_milliseconds_or_iso_is_accepted(ts):
    assert CollectedEvent.model_validate(page_view(ts=ts)).ts == ts


@pytest.mark.parametrize("ts", ["yesterday", "23/11/2026 10:00", "2026-11-23"])
def test_a_client_time_in_any_other_text_is_refused(ts):
    with pytest.raises(ValidationError) as caught:
        CollectedEvent.model_validate(page_view(ts=ts))

    assert [error["loc"] for error in caught.value.errors()] == [("ts",)]


def test_unknown_properties_from_a_newer_tracker_are_ignored():
    event = CollectedEvent.model_validate(page_view(screen="1920x1080"))

    assert not hasattr(event, "screen")
