"""Campaign costs through the API: uploads as JSON or a spreadsheet's CSV, checked whole, replaced by identity, listed.

A tenant's marketer pastes what each campaign cost; the ROI report reads it per campaign and day.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.costs import CostRow
from tests.conftest import DEMO_KEY, OTHER_KEY, Api, json_body, load_event

WINTER = {"campaign": "vinter-2026", "source": "google", "medium": "cpc", "from": "2026-11-01", "to": "2026-11-30",
          "amount": 30000}
SPRING = {"campaign": "forår", "source": "facebook", "medium": "paid_social", "from": "2026-03-01",
          "to": "2026-03-31", "amount": "3100.50"}


def _put(api: Api, body: Any, key: str = DEMO_KEY, query: str = "") -> Any:
    return api.client.http.put(f"/admin/costs{query}", body=json.dumps(body).encode(),
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


def _put_csv(api: Api, text: str | bytes, query: str = "", content_type: str = "text/csv") -> Any:
    body = text.encode() if isinstance(text, str) else text
    return api.client.http.put(f"/admin/costs{query}", body=body,
                               headers={"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": content_type})


def _get(api: Api, query: str = "", key: str = DEMO_KEY, accept: str = "application/json") -> Any:
    return api.client.http.get(f"/admin/costs{query}", headers={"Authorization": f"Bearer {key}", "Accept": accept})


def _rows(api: Api, query: str = "", key: str = DEMO_KEY) -> list[dict[str, Any]]:
    response = _get(api, query, key)
    assert response.status_code == 200, response.body
    return [{name: value for name, value in row.items() if name != "updated_at"} for row in json_body(response)["rows"]]


def _refusal(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.body
    return dict(json_body(response))


def _fields(response: Any) -> list[str]:
    return [detail["field"] for detail in _refusal(response)["fields"]]


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "amount": f"{Decimal(str(row['amount'])):.2f}"}


# --- JSON ------------------------------------------------------------------------------------------------------


def test_the_first_upload_sets_the_currency_and_stores_each_row(api: Api):
    response = _put(api, {"currency": "DKK", "rows": [WINTER, SPRING]})
    assert response.status_code == 200, response.body
    assert json_body(response) == {"currency": "DKK", "rows": 2, "created": 2, "replaced": 0, "unchanged": 0,
                                   "removed": 0}
    listing = json_body(_get(api))
    assert listing["currency"] == "DKK"
    assert [row["campaign"] for row in listing["rows"]] == ["forår", "vinter-2026"]  # by period
    assert listing["rows"][1] == {**_stored(WINTER), "updated_at": "2026-11-23T09:30:00.000Z"}


def test_a_bare_list_of_rows_is_an_upload_in_the_default_currency(api: Api):
    response = _put(api, [WINTER])
    assert response.status_code == 200, response.body
    assert json_body(response)["currency"] == "DKK"
    assert _rows(api) == [_stored(WINTER)]


def test_a_row_for_the_same_campaign_and_period_replaces_the_earlier_one(api: Api):
    _put(api, [WINTER, SPRING])
    api.clock.advance(hours=2)
    response = _put(api, [{**WINTER, "amount": "31000.25"}])
    assert json_body(response) == {"currency": "DKK", "rows": 1, "created": 0, "replaced": 1, "unchanged": 0,
                                   "removed": 0}
    listing = json_body(_get(api, "?campaign=vinter-2026"))["rows"]
    assert [(row["amount"], row["updated_at"]) for row in listing] == [("31000.25", "2026-11-23T11:30:00.000Z")]
    assert len(_rows(api)) == 2


def test_the_same_campaign_over_another_period_or_medium_stands_beside_it(api: Api):
    december = {**WINTER, "from": "2026-12-01", "to": "2026-12-31", "amount": 100}
    display = {**WINTER, "medium": "display", "amount": 50}
    _put(api, [WINTER])
    assert json_body(_put(api, [december, display]))["created"] == 2
    assert len(_rows(api, "?campaign=vinter-2026")) == 3


def test_a_repeated_upload_changes_nothing(api: Api):
    _put(api, [WINTER, SPRING])
    before = api.items("T#demo#COSTS")
    api.clock.advance(hours=1)
    response = _put(api, {"rows": [WINTER, SPRING], "currency": "dkk"})
    assert json_body(response) == {"currency": "DKK", "rows": 2, "created": 0, "replaced": 0, "unchanged": 2,
                                   "removed": 0}
    assert api.items("T#demo#COSTS") == before


def test_the_same_row_twice_in_one_upload_counts_once(api: Api):
    response = _put(api, [WINTER, {**WINTER, "source": "Google", "amount": "30000.00"}])
    assert json_body(response)["rows"] == 1
    assert _rows(api) == [_stored(WINTER)]


def test_the_same_row_twice_with_different_amounts_is_refused(api: Api):
    refusal = _refusal(_put(api, [WINTER, SPRING, {**WINTER, "amount": 1}]))
    assert refusal["fields"][0]["field"] == "rows.2"
    assert "rows.0" in refusal["fields"][0]["message"]
    assert _rows(api) == []


def test_every_bad_row_is_named_in_one_answer_and_nothing_is_stored(api: Api):
    response = _put(api, {"currency": "DKK", "rows": [
        WINTER,
        {**SPRING, "amount": "-5"},
        {**SPRING, "from": "2026-04-01", "to": "2026-03-01"},
        {**WINTER, "amount": "12.345", "campaign": ""},
        {**WINTER, "from": "2026-01-01", "to": "2027-01-05"},
        "not a row",
    ]})
    refusal = _refusal(response)
    assert refusal["error"] == "invalid_input"
    assert [detail["field"] for detail in refusal["fields"]] == [
        "rows.1.amount", "rows.2.to", "rows.3.campaign", "rows.3.amount", "rows.4.to", "rows.5"]
    assert refusal["field"] == "rows.1.amount" and "nothing was stored" in refusal["message"]
    assert "6 problems" in refusal["message"]
    assert _rows(api) == [] and api.items("T#demo#COSTS") == []


def test_a_misspelt_field_is_named_rather_than_ignored(api: Api):
    row = {key: value for key, value in WINTER.items() if key != "amount"} | {"ammount": 5}
    assert _fields(_put(api, [row])) == ["rows.0.ammount", "rows.0.amount"]
    assert _fields(_put(api, {"rows": [WINTER], "curency": "EUR"})) == ["curency"]


@pytest.mark.parametrize(("body", "field"), [
    ({"currency": "DKK"}, "rows"), ({"rows": {"a": 1}}, "rows"), ({"rows": [], "replace_all": "yes"}, "replace_all"),
    ({"rows": [], "currency": "kroner"}, "currency"), ({"rows": [], "currency": 208}, "currency"),
])
def test_a_bad_upload_names_its_field(api: Api, body: Any, field: str):
    assert _refusal(_put(api, body))["field"] == field
    assert api.items("T#demo#COSTS") == []


@pytest.mark.parametrize("body", [b"", b"{not json", b'"rows"', b"[" * 40 + b"]" * 40])
def test_a_body_that_is_not_an_upload_is_a_400(api: Api, body: bytes):
    response = api.client.http.put("/admin/costs", body=body,
                                   headers={"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"})
    assert _refusal(response, 400)["field"] == "body"


def test_more_than_5000_rows_are_refused_whole(api: Api):
    rows = [{**WINTER, "campaign": f"c{index}"} for index in range(5001)]
    refusal = _refusal(_put(api, rows))
    assert refusal["field"] == "rows" and "at most 5000 rows" in refusal["message"]
    assert api.items("T#demo#COSTS") == []


def test_5000_rows_are_taken_in_one_request(api: Api):
    rows = [{**WINTER, "campaign": f"kampagne-{index}", "amount": index} for index in range(5000)]
    assert json_body(_put(api, rows))["created"] == 5000
    assert len(json_body(_get(api))["rows"]) == 5000


# --- the currency lives with the costs ---------------------------------------------------------------------------


def test_a_later_upload_in_another_currency_is_refused_naming_currency(api: Api):
    _put(api, {"currency": "DKK", "rows": [WINTER]})
    refusal = _refusal(_put(api, {"currency": "EUR", "rows": [SPRING]}))
    assert refusal["field"] == "currency"
    assert "kept in DKK" in refusal["message"] and "replace_all" in refusal["message"]
    assert _rows(api) == [_stored(WINTER)]


def test_a_row_in_another_currency_is_refused_naming_the_row(api: Api):
    _put(api, {"currency": "EUR", "rows": []})
    assert _fields(_put(api, [WINTER, {**SPRING, "currency": "DKK"}])) == ["rows.1.currency"]
    assert json_body(_put(api, [{**WINTER, "currency": "eur"}]))["currency"] == "EUR"


def test_replace_all_changes_the_currency_and_replaces_every_row(api: Api):
    _put(api, {"currency": "DKK", "rows": [WINTER, SPRING]})
    response = _put(api, {"currency": "EUR", "replace_all": True, "rows": [{**WINTER, "amount": 4000}]})
    assert json_body(response) == {"currency": "EUR", "rows": 1, "created": 0, "replaced": 1, "unchanged": 0,
                                   "removed": 1}
    listing = json_body(_get(api))
    assert listing["currency"] == "EUR" and [row["amount"] for row in listing["rows"]] == ["4000.00"]


def test_replace_all_in_the_same_currency_removes_the_rows_not_sent(api: Api):
    _put(api, [WINTER, SPRING])
    assert json_body(_put(api, {"replace_all": True, "rows": [SPRING]}))["removed"] == 1
    assert _rows(api) == [_stored(SPRING)]
    assert json_body(_put(api, [], query="?replace_all=true"))["removed"] == 1
    assert _rows(api) == []


def test_the_currency_and_replace_all_can_come_in_the_query(api: Api):
    assert json_body(_put(api, [WINTER], query="?currency=SEK"))["currency"] == "SEK"
    assert _refusal(_put(api, {"currency": "NOK", "rows": []}, query="?currency=SEK"))["field"] == "currency"
    assert _refusal(_put(api, [], query="?curency=SEK"))["field"] == "curency"


def test_an_upload_that_lost_a_race_for_the_currency_is_a_conflict(api: Api):
    from chalicelib.errors import ConcurrentUpdate

    with pytest.raises(ConcurrentUpdate):
        api.repos.costs.save_costs("demo", "NOK", "EUR", [], [])  # it was never NOK
    api.repos.costs.save_costs("demo", None, "SEK", [], [])
    with pytest.raises(ConcurrentUpdate):
        api.repos.costs.save_costs("demo", None, "EUR", [], [])  # a first upload came in between
    assert api.repos.costs.cost_book("demo").currency == "SEK"


# --- CSV ---------------------------------------------------------------------------------------------------------


def test_a_comma_separated_spreadsheet_is_an_upload(api: Api):
    text = ("campaign,source,medium,from,to,amount\r\n"
            "vinter-2026,google,cpc,2026-11-01,2026-11-30,30000\r\n"
            '"forår, del 2",facebook,paid_social,2026-03-01,2026-03-31,3100.50\r\n')
    response = _put_csv(api, text, query="?currency=DKK")
    assert response.status_code == 200, response.body
    assert json_body(response)["created"] == 2
    assert _rows(api) == [_stored({**SPRING, "campaign": "forår, del 2"}), _stored(WINTER)]


def test_a_danish_excel_export_with_semicolons_and_decimal_commas_is_an_upload(api: Api):
    text = ("Campaign;Source;Medium;From;To;Amount;Notes\r\n"
            "vinter-2026;google;cpc;2026-11-01;2026-11-30;30000,00;første bølge\r\n"
            "forår;facebook;paid_social;2026-03-01;2026-03-31;3100,5;\r\n"
            ";;;;;;\r\n")
    response = _put_csv(api, text.encode("cp1252"), content_type="text/csv; charset=windows-1252")
    assert response.status_code == 200, response.body
    assert json_body(response)["created"] == 2
    assert _rows(api) == [_stored(SPRING), _stored(WINTER)]
    assert json_body(_put_csv(api, ("\ufeff" + text).encode("utf-8")))["unchanged"] == 2  # Excel's "CSV UTF-8"


def test_bad_spreadsheet_rows_are_named_by_their_row_number(api: Api):
    text = ("campaign;source;medium;from;to;amount;currency\n"
            "vinter-2026;google;cpc;2026-11-01;2026-11-30;30000;DKK\n"
            "\n"
            "forår;facebook;paid_social;01-03-2026;2026-03-31;1.234,50;\n"
            "jul;google;cpc;2026-12-01;2026-12-24;500;EUR\n")
    refusal = _refusal(_put_csv(api, text))
    assert [(detail["field"], detail["row"]) for detail in refusal["fields"]] == [
        ("rows.4.from", 4), ("rows.4.amount", 4), ("rows.5.currency", 5)]
    assert refusal["fields"][2]["message"] == "row 5: costs are kept in DKK: send this row's amount in DKK"
    assert _rows(api) == []


def test_a_decimal_comma_is_not_read_from_a_comma_separated_file(api: Api):
    text = 'campaign,source,medium,from,to,amount\nvinter,google,cpc,2026-11-01,2026-11-30,"30000,50"\n'
    assert _fields(_put_csv(api, text)) == ["rows.2.amount"]


def test_a_spreadsheet_without_a_needed_column_is_refused_naming_it(api: Api):
    refusal = _refusal(_put_csv(api, "campaign;source;from;to;amount;amount\nvinter;google;2026-11-01;2026-11-30;1;1"))
    assert [detail["field"] for detail in refusal["fields"]] == ["header.medium", "header.amount"]
    assert _refusal(_put_csv(api, ""))["field"] == "header"
    assert _rows(api) == []


def test_a_spreadsheet_with_only_its_header_stores_nothing(api: Api):
    assert json_body(_put_csv(api, "campaign,source,medium,from,to,amount\n"))["rows"] == 0


def test_a_file_of_another_type_is_a_415(api: Api):
    response = _put_csv(api, "campaign\tsource", content_type="text/plain")
    assert _refusal(response, 415)["field"] == "Content-Type"


def test_the_sample_event_uploads_a_danish_spreadsheet_as_api_gateway_delivers_it(api: Api):
    from app import app

    answer = app(load_event("put_costs"), None)
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"]) == {"currency": "DKK", "rows": 3, "created": 3, "replaced": 0, "unchanged": 0,
                                          "removed": 0}
    assert [row["amount"] for row in _rows(api, "?campaign=vinter-2026")] == ["12500.50", "30000.00"]


# --- listing -----------------------------------------------------------------------------------------------------


def test_the_listing_keeps_rows_sharing_a_day_with_the_range_and_one_campaign(api: Api):
    december = {**WINTER, "from": "2026-12-01", "to": "2026-12-31", "amount": 100}
    _put(api, [WINTER, SPRING, december])
    assert [row["from"] for row in _rows(api, "?from=2026-11-30&to=2026-12-01")] == ["2026-11-01", "2026-12-01"]
    assert [row["from"] for row in _rows(api, "?from=2026-12-02")] == ["2026-12-01"]
    assert [row["from"] for row in _rows(api, "?to=2026-03-01")] == ["2026-03-01"]
    assert [row["campaign"] for row in _rows(api, "?campaign=forår")] == ["forår"]
    assert _rows(api, "?campaign=Forår") == []


@pytest.mark.parametrize(("query", "field"), [
    ("?from=2026-13-01", "from"), ("?to=tomorrow", "to"), ("?from=2026-12-01&to=2026-11-01", "from"),
    ("?page=2", "page"),
])
def test_a_bad_listing_query_names_its_parameter(api: Api, query: str, field: str):
    assert _refusal(_get(api, query))["field"] == field


def test_the_listing_as_csv_can_be_edited_and_sent_back(api: Api):
    _put(api, [WINTER, {**SPRING, "campaign": "forår, del 2"}])
    response = _get(api, accept="text/csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["campaign", "source", "medium", "from", "to", "amount", "currency", "updated_at"]
    assert lines[1][:7] == ["forår, del 2", "facebook", "paid_social", "2026-03-01", "2026-03-31", "3100.50", "DKK"]
    assert json_body(_put_csv(api, text))["unchanged"] == 2


def test_an_empty_listing_says_the_default_currency(api: Api):
    assert json_body(_get(api)) == {"currency": "DKK", "rows": []}


# --- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Basic ZGVtbzpkZW1v"])
def test_costs_need_the_admin_key(api: Api, authorization: str | None):
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    put = api.client.http.put("/admin/costs", body=json.dumps([WINTER]).encode(), headers=headers)
    get = api.client.http.get("/admin/costs", headers=headers)
    assert _refusal(put, 401)["field"] == "Authorization" and _refusal(get, 401)["field"] == "Authorization"
    assert api.items("T#demo#COSTS") == []


def test_an_owners_key_is_not_an_admin_key(api: Api):
    owner = api.client.http.post("/admin/owners", body=json.dumps({"owner": "salg@nordlys.dk"}).encode(),
                                 headers={"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"})
    user_key = json_body(owner)["user_key"]
    assert _refusal(_put(api, [WINTER], key=user_key), 401)["field"] == "Authorization"


def test_one_tenants_costs_are_invisible_and_untouchable_to_another(api: Api):
    _put(api, {"currency": "DKK", "rows": [WINTER]})
    assert json_body(_get(api, key=OTHER_KEY)) == {"currency": "DKK", "rows": []}
    assert json_body(_put(api, {"currency": "EUR", "replace_all": True, "rows": [SPRING]}, key=OTHER_KEY))[
        "removed"] == 0
    assert _rows(api) == [_stored(WINTER)]
    assert _rows(api, key=OTHER_KEY) == [_stored(SPRING)]
    assert json_body(_get(api))["currency"] == "DKK"


# --- for the ROI report ----------------------------------------------------------------------------------------


def test_the_report_reads_cost_per_campaign_and_channel_for_a_range(api: Api):
    from chalicelib.domain.costs import channel_of

    _put(api, [WINTER, {**WINTER, "source": "facebook", "medium": "paid", "amount": "300.00"}, SPRING])
    spent = api.wiring.costs.spent("demo", date(2026, 11, 1), date(2026, 11, 10))
    assert spent.currency == "DKK"
    assert spent.costs == {"vinter-2026": Decimal("10100.00")}  # 10 days of 1000 + 10 days of 10
    by_channel = api.wiring.costs.spent("demo", date(2026, 3, 31), date(2026, 11, 1), channel_of).costs
    assert by_channel == {"paid_search": Decimal("1000.00"), "paid_social": Decimal("110.02")}  # 100.02 + 10


# --- the repository on moto ------------------------------------------------------------------------------------


def test_rows_round_trip_exactly_and_unusual_names_stay_apart(api: Api):
    ledger = api.repos.costs
    rows = [CostRow("a#b", "c", "d", date(2026, 1, 1), date(2026, 1, 31), Decimal("0.10"), "2026-01-01T00:00:00Z"),
            CostRow("a", "b#c", "d", date(2026, 1, 1), date(2026, 1, 31), Decimal("999999999999.99")),
            CostRow("a" * 200, "ø" * 200, "æ" * 200, date(2026, 1, 1), date(2026, 1, 31), Decimal("1.00"))]
    ledger.save_costs("demo", None, "DKK", rows, [])
    book = ledger.cost_book("demo")
    assert book.currency == "DKK"
    assert sorted(book.rows, key=lambda row: row.campaign) == sorted(rows, key=lambda row: row.campaign)
    assert [row.campaign for row in ledger.cost_book("demo", "a").rows] == ["a"]
    assert next(row for row in book.rows if row.campaign == "a#b").updated_at == "2026-01-01T00:00:00Z"
    ledger.save_costs("demo", "DKK", "DKK", [], rows[:2])
    assert [row.campaign for row in ledger.cost_book("demo").rows] == ["a" * 200]
    assert ledger.cost_book("other").rows == ()
