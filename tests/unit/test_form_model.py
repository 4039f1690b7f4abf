"""The edge models: a contact form as a browser or a JSON client sends it, and one captured page view."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.capture_schema import CollectedEvent
from chalicelib.errors import InvalidInput
from chalicelib.models import FormSubmission

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
    assert form.form == "tilbud"
    assert form.fields == {"postcode": "8000", "roof_type": "tegl"}
    assert (form.fields_flagged, form.flagged_values) == ([], {})


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

    assert (form.form, form.consent, form.fields, form.fields_flagged) == ("contact", {}, {}, [])


def test_the_control_fields_are_left_to_the_service_and_never_flagged():
    form = FormSubmission.from_fields({"email": "bot@spam.example", "_gotcha": "http://cheap-pills.example",
                                       "_next": "/" + "x" * 5000, "_error": "javascript:alert(1)"})

    assert (form.fields, form.fields_flagged) == ({}, [])


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


def kept(raw: dict[str, Any]) -> FormSubmission:
    return FormSubmission.from_fields({"email": "ole@byg.dk", **raw})


def test_a_phone_that_is_no_number_is_kept_as_given_and_flagged():
    form = kept({"phone": "ring efter kl. 16"})

    assert (form.phone, form.fields_flagged, form.flagged_values) == ("ring efter kl. 16", ["phone"], {})


def test_an_over_long_phone_keeps_its_first_forty_characters_and_sets_the_whole_aside():
    phone = "ring mig op efter klokken 16 på hverdage, tak"

    form = kept({"phone": phone})

    assert (form.phone, form.fields_flagged, form.flagged_values) == (phone[:40], ["phone"], {"phone": phone})


@pytest.mark.parametrize(("name", "bound"), [("name", 200), ("company", 200), ("referred_by", 200),
                                             ("message", 5000)])
def test_an_over_long_text_is_cut_to_its_bound_and_flagged(name, bound):
    form = kept({name: "x" * (bound + 1)})

    assert (getattr(form, name), form.fields_flagged) == ("x" * bound, [name])


@pytest.mark.parametrize(("name", "bound"), [("name", 200), ("message", 5000)])
def test_a_text_of_exactly_its_bound_is_not_flagged(name, bound):
    form = kept({name: "x" * bound})

    assert (getattr(form, name), form.fields_flagged) == ("x" * bound, [])


@pytest.mark.parametrize(("raw_name", "value"), [
    ("_form", "quote form!"),
    ("et_vid", "short"),
    ("page_url", "javascript:alert(1)"),
    ("page_url", "https://byg.dk/" + "x" * 2048),
    ("consent_marketing", "maybe"),
    ("Postcode", "8000"),
    ("roof type", "tegl"),
    ("_secret", "x"),
    ("føde", "x"),
    ("consent_sms-ok", "on"),
])
def test_a_value_that_cannot_be_used_where_it_belongs_is_set_aside_under_its_name(raw_name, value):
    form = kept({raw_name: value})

    assert form.fields_flagged == [raw_name]
    assert form.flagged_values == {raw_name: value[:1000]}
    assert (form.form, form.et_vid, form.page_url, form.consent, form.fields) == ("contact", None, None, {}, {})


@pytest.mark.parametrize(("value", "kept_as"), [(["a", "b"], '["a", "b"]'), ({"nested": "x"}, '{"nested": "x"}')])
def test_an_extra_field_that_is_a_list_or_an_object_is_set_aside_as_json(value, kept_as):
    form = kept({"roof_type": value})

    assert (form.fields, form.fields_flagged, form.flagged_values) == ({}, ["roof_type"], {"roof_type": kept_as})


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false"), (4500, "4500")])
def test_a_yes_no_or_number_extra_field_is_kept_as_text(value, text):
    assert kept({"roof_type": value}).fields == {"roof_type": text}


def test_a_null_value_is_no_value():
    form = kept({"roof_type": None, "name": None})

    assert (form.fields, form.name, form.fields_flagged) == ({}, None, [])


@pytest.mark.parametrize("value", ["maybe", "2", ["on"], {"granted": True}])
def test_a_consent_value_that_is_neither_yes_nor_no_records_no_consent_and_is_flagged(value):
    form = kept({"consent_marketing": value})

    assert (form.consent, form.fields_flagged) == ({}, ["consent_marketing"])


def test_an_over_long_extra_field_is_cut_to_500_characters_and_flagged():
    form = kept({"notes": "x" * 501})

    assert (form.fields, form.fields_flagged) == ({"notes": "x" * 500}, ["notes"])


def test_twenty_extra_fields_are_accepted():
    raw = {"email": "many@byg.dk", **{f"extra_{n}": str(n) for n in range(20)}}

    assert len(FormSubmission.from_fields(raw).fields) == 20


def test_past_twenty_extra_fields_the_rest_are_set_aside_and_flagged():
    form = kept({f"extra_{n}": str(n) for n in range(22)})

    assert list(form.fields) == [f"extra_{n}" for n in range(20)]
    assert form.fields_flagged == ["extra_20", "extra_21"]
    assert form.flagged_values == {"extra_20": "20", "extra_21": "21"}


def test_blank_extra_fields_do_not_count_towards_the_limit():
    raw = {"email": "many@byg.dk", **{f"extra_{n}": str(n) for n in range(20)}, "empty_one": "", "empty_two": " "}

    assert len(FormSubmission.from_fields(raw).fields) == 20


def test_what_is_flagged_and_set_aside_stays_bounded_whatever_is_posted():
    form = kept({f"Field {n}": "v" * 5000 for n in range(300)} | {"X" * 500: "y"})

    assert len(form.fields_flagged) == 50
    assert len(form.flagged_values) == 20
    assert all(len(value) == 1000 for value in form.flagged_values.values())


def test_a_lone_surrogate_in_a_flagged_name_or_value_is_made_storable():
    form = kept({"Bad\ud800": "v\udc00"})

    assert form.fields_flagged == ["Bad?"] and form.flagged_values == {"Bad?": "v?"}


def test_only_the_email_is_named_when_everything_else_is_wrong_too():
    error = refused({"email": "nope", "consent_marketing": "maybe", "Bad-Name": "x", "phone": "ring"})

    assert error.field == "email"
    assert [detail["field"] for detail in error.details] == ["email"]


def test_a_missing_email_says_an_address_is_required():
    assert refused({"name": "Ole"}).message == "email: an e-mail address is required"


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
