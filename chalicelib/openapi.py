"""The API's OpenAPI 3.1 document, generated from the routes and the pydantic models at the edges.

The paths, methods, path parameters, content types and summaries come from the Chalice route table; the request
bodies and query parameters from the pydantic models the handlers validate with (``model_json_schema``); every
error from the one error shape of ``chalicelib.http``. What a route table cannot say (which model a handler reads,
what it answers) is written once per route in ``CONTRACT`` below; ``tests/integration/test_openapi.py`` fails when a
route has no entry, or an entry names no route. ``GET /openapi.json`` serves the document; the schemathesis run
(``tests/e2e/test_api_contract.py``) holds the running API to it.

A few bodies are still checked by hand in their handler (owners, report keys, a rescue, a decline's reason); their
shape is written here as a pydantic model of its own, so the document has it all the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ANY_JSON: dict[str, Any] = {}
REF_TEMPLATE = "#/components/schemas/{model}"


# --- bodies the handlers check by hand: their shape, for the document ------------------------------------------


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OwnerBody(_Shape):
    """A sales owner (``POST /admin/owners``)."""

    owner: str = Field(min_length=1, max_length=254, pattern=r"^\S+$", description="an id, usually the e-mail")
    email: str | None = Field(default=None, description="where offers go; the owner id when left out")
    language: Literal["da", "en"] | None = None


class OwnerChange(_Shape):
    """``PATCH /admin/owners/{owner}``: routing offers new leads only to owners who are active and not away."""

    active: bool | None = None
    away_until: str | None = Field(default=None, description="a time; null or a time gone by means back now")


class ResellerChange(_Shape):
    """``PATCH /admin/resellers/{reseller_id}``: any of the reseller's fields but its id."""

    name: str | None = None
    language: Literal["da", "en"] | None = None
    contacts: list[str] | None = None
    inbox: str | None = None
    manager: str | None = None
    regions: list[str] | None = None
    products: list[str] | None = None
    calendar: str | None = None
    active: bool | None = None


class ReportKeyBody(_Shape):
    """An agency's read-only report key for some campaigns."""

    name: str = Field(default="", max_length=200)
    campaigns: list[str] = Field(min_length=1)


class RescueBody(_Shape):
    """Offer a gapped lead again, to ``owner``."""

    owner: str = Field(min_length=1, max_length=254, pattern=r"^\S+$")


class ReasonBody(_Shape):
    """An action's optional reason (a decline's)."""

    reason: str | None = Field(default=None, max_length=500)


class CostsBody(BaseModel):
    """``PUT /admin/costs`` as JSON (the same rows also come as CSV)."""

    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    replace_all: bool | None = None
    rows: list[dict[str, Any]]


class CollectedEventShape(_Shape):
    type: Literal["pageview", "click", "form_start", "form_submit"]
    url: str = Field(max_length=2048)
    ref: str | None = None
    title: str | None = None
    ts: int | float | str | None = None
    id: str | None = None


class CollectShape(BaseModel):
    """``POST /collect``: a batch of one visitor's events (each checked on its own)."""

    site: str = Field(pattern=r"^[A-Za-z0-9_-]{3,64}$")
    vid: str
    events: list[CollectedEventShape] = Field(min_length=1)


class FormFields(BaseModel):
    """A contact form: ``email`` decides; any other field is kept or flagged, never a reason to refuse."""

    model_config = ConfigDict(extra="allow")

    email: str = Field(max_length=254)
    name: str | None = None
    company: str | None = None
    phone: str | None = None
    message: str | None = None


class SignInForm(_Shape):
    tenant: str = Field(max_length=64)
    email: str = Field(max_length=254)


class TokenForm(_Shape):
    token: str = Field(max_length=4096)


class PageForm(BaseModel):
    """A hosted page's form; its fields are the page's own (a survey's answers, an outcome's value, a reason)."""

    model_config = ConfigDict(extra="allow")


# --- what each route reads and answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


Model = Callable[[], type[BaseModel]]


def _model(path: str) -> Model:
    """A model named ``module:Class``, imported when the document is built (not at a cold start)."""
    module, _, name = path.partition(":")
    return lambda: getattr(import_module(module), name)


@dataclass(frozen=True)
class Op:
    """One route's contract. ``answer``: json, page (HTML for a person, JSON when asked for), html (a person's page
    only; a refusal may still be JSON), gif, js, empty."""

    ok: tuple[int, ...] = (200,)
    answer: str = "json"
    body: Model | None = None
    body_required: bool = True
    body_types: tuple[str, ...] = (JSON,)
    query: tuple[Param, ...] = ()
    query_model: Model | None = None
    csv: bool = False
    auth: bool = True
    tags: tuple[str, ...] = ()
    returns: Model | None = None  # the success answer's shape (``chalicelib.answers``); any JSON when not said


def _answer(name: str) -> Model:
    return _model(f"chalicelib.answers:{name}")


def _q(*names: str, required: tuple[str, ...] = ()) -> tuple[Param, ...]:
    return tuple(Param(name, required=name in required) for name in (*names, *required))


TOKEN = _q(required=("token",))
DAYS = _q("from", "to")
LEAD_ACTION = {"type": "string", "enum": ["accept", "decline", "contacted"]}
RESELLER_ACTION = {"type": "string", "enum": ["accept", "decline", "contacted", "outcome", "consent"]}
OUTCOME_ANSWER = {"type": "string", "enum": ["won", "lost"]}
PATH_SCHEMAS: dict[tuple[str, str], Mapping[str, Any]] = {
    ("/handovers/{handover_id}/{action}", "action"): LEAD_ACTION,
    ("/reseller/leads/{lead_id}/{action}", "action"): RESELLER_ACTION,
    ("/outcomes/{handover_id}/{answer}", "answer"): OUTCOME_ANSWER,
}
PAGE_FORM = (FORM, "text/plain", "multipart/form-data")

CONTRACT: dict[tuple[str, str], Op] = {
    # capture
    ("GET", "/snippet.js"): Op(answer="js", auth=False, tags=("capture",)),
    ("GET", "/snippet-forms.js"): Op(answer="js", auth=False, tags=("capture",)),
    ("GET", "/t.gif"): Op(answer="gif", auth=False, tags=("capture",), query=(
        Param("site", required=True), Param("url", required=True),
        *_q("vid", "e", "ref", "title", "ts", "id"))),
    ("POST", "/collect"): Op(ok=(202,), auth=False, tags=("capture",), body=lambda: CollectShape,
                             body_types=("text/plain", JSON), returns=_answer("Collected")),
    ("OPTIONS", "/collect"): Op(ok=(204,), answer="empty", auth=False, tags=("capture",), query=_q("site")),
    ("POST", "/forms/{site}"): Op(ok=(200, 201, 303), answer="page", auth=False, tags=("capture",),
                                  body=lambda: FormFields, body_types=(JSON, *PAGE_FORM),
                                  returns=_answer("FormAccepted")),
    ("OPTIONS", "/forms/{site}"): Op(ok=(204,), answer="empty", auth=False, tags=("capture",)),
    ("GET", "/health"): Op(auth=False, tags=("operations",), returns=_answer("Health")),
    ("GET", "/openapi.json"): Op(auth=False, tags=("operations",), returns=_answer("ApiDocument")),
    # leads
    ("GET", "/leads"): Op(query_model=_model("chalicelib.queries:LeadQuery"), tags=("leads",),
                          returns=_answer("LeadPage")),
    ("GET", "/leads/{lead_id}"): Op(tags=("leads",), returns=_answer("LeadDetail")),
    ("GET", "/leads/{lead_id}/timeline"): Op(query_model=_model("chalicelib.queries:TimelineQuery"), tags=("leads",),
                                             returns=_answer("Timeline")),
    ("POST", "/leads/{lead_id}/outcome"): Op(ok=(200, 201), body=_model("chalicelib.outcome_body:OutcomeBody"),
                                            tags=("outcomes",), returns=_answer("OutcomeAnswer")),
    ("POST", "/inbound/{tenant_id}/crm"): Op(body=_model("chalicelib.inbound_body:InboundBody"), tags=("outcomes",),
                                            returns=_answer("CrmAnswer")),
    # hand-overs
    ("GET", "/handovers/{handover_id}"): Op(tags=("hand-overs",), returns=_answer("HandoverView")),
    ("GET", "/handovers/{handover_id}/{action}"): Op(answer="page", auth=False, query=TOKEN, tags=("hand-overs",),
                                                     returns=_answer("HandoverPage")),
    ("POST", "/handovers/{handover_id}/{action}"): Op(answer="page", query=_q("token"), body=lambda: ReasonBody,
                                                     body_required=False, body_types=(JSON, FORM, "text/plain"),
                                                     tags=("hand-overs",), returns=_answer("HandoverAction")),
    ("POST", "/admin/handovers/{handover_id}/rescue"): Op(ok=(200, 201), body=lambda: RescueBody,
                                                         tags=("hand-overs",), returns=_answer("HandoverStep")),
    ("GET", "/outcomes/{handover_id}/{answer}"): Op(answer="page", auth=False, query=TOKEN, tags=("outcomes",),
                                                   returns=_answer("OutcomeLink")),
    ("POST", "/outcomes/{handover_id}/{answer}"): Op(answer="page", auth=False, query=TOKEN, body=lambda: PageForm,
                                                    body_types=(FORM, JSON, "text/plain"), tags=("outcomes",),
                                                    returns=_answer("OutcomeAnswer")),
    # the tenant's set-up
    ("GET", "/admin/journey"): Op(tags=("admin",), returns=_answer("Journey")),
    ("PUT", "/admin/journey"): Op(body=_model("chalicelib.domain.journey:JourneyDefinition"), tags=("admin",),
                                  returns=_answer("Journey")),
    ("POST", "/admin/owners"): Op(ok=(201,), body=lambda: OwnerBody, tags=("admin",), returns=_answer("OwnerMade")),
    ("GET", "/admin/owners"): Op(tags=("admin",), returns=_answer("OwnerList")),
    ("PATCH", "/admin/owners/{owner}"): Op(body=lambda: OwnerChange, tags=("admin",), returns=_answer("Owner")),
    ("POST", "/admin/owners/{owner}/keys"): Op(ok=(201,), tags=("admin",), returns=_answer("OwnerKeyIssued")),
    ("DELETE", "/admin/owners/{owner}/keys/{key_id}"): Op(tags=("admin",), returns=_answer("OwnerKeyRevoked")),
    ("GET", "/admin/webhooks/dead-letters"): Op(tags=("admin",), returns=_answer("DeadLetters")),
    ("POST", "/admin/webhooks/dead-letters/{letter_id}/replay"): Op(tags=("admin",), returns=_answer("Replayed")),
    ("PUT", "/admin/costs"): Op(body=lambda: CostsBody, body_types=(JSON, "text/csv"),
                                query=_q("currency", "replace_all"), tags=("admin",), returns=_answer("CostsStored")),
    ("GET", "/admin/costs"): Op(query=_q("from", "to", "campaign"), csv=True, tags=("admin",),
                                returns=_answer("Costs")),
    ("POST", "/admin/report-keys"): Op(ok=(201,), body=lambda: ReportKeyBody, tags=("admin",),
                                       returns=_answer("ReportKeyIssued")),
    ("GET", "/admin/report-keys"): Op(tags=("admin",), returns=_answer("ReportKeys")),
    ("DELETE", "/admin/report-keys/{key_id}"): Op(tags=("admin",), returns=_answer("ReportKeyRevoked")),
    ("GET", "/admin/people"): Op(query=_q(required=("email",)), tags=("privacy",), returns=_answer("PersonExport")),
    ("DELETE", "/admin/people"): Op(query=_q(required=("email",)), tags=("privacy",), returns=_answer("Erasure")),
    # reports
    ("GET", "/reports/handovers"): Op(query=DAYS, tags=("reports",), returns=_answer("HandoverReport")),
    ("GET", "/reports/funnel"): Op(query=_q("from", "to", "by"), csv=True, tags=("reports",),
                                   returns=_answer("FunnelReport")),
    ("GET", "/reports/roi"): Op(query=_q("from", "to", "by", "model"), csv=True, tags=("reports",),
                                returns=_answer("RoiReport")),
    ("GET", "/reports/resellers"): Op(query=DAYS, csv=True, tags=("reports",), returns=_answer("ResellerReport")),
    ("GET", "/reports/surveys"): Op(query=_q("from", "to", "by"), csv=True, tags=("reports",),
                                    returns=_answer("SurveyReport")),
    ("GET", "/reports"): Op(answer="html", auth=False, query=_q("from", "to", "by", "model", "tenant"),
                            tags=("reports",)),
    ("POST", "/reports/sign-in"): Op(answer="html", auth=False, body=lambda: SignInForm, body_types=(FORM,),
                                     tags=("reports",)),
    ("GET", "/reports/sign-in/link"): Op(answer="html", auth=False, query=TOKEN, tags=("reports",)),
    ("POST", "/reports/sign-in/link"): Op(ok=(303,), answer="html", auth=False, body=lambda: TokenForm,
                                          body_types=(FORM,), tags=("reports",)),
    ("POST", "/reports/sign-out"): Op(ok=(303,), answer="html", auth=False, body=lambda: PageForm,
                                      body_required=False, body_types=(FORM, "text/plain"), tags=("reports",)),
    # resellers: the producer's side, and the reseller's own
    ("POST", "/admin/resellers"): Op(ok=(200, 201), body=_model("chalicelib.reseller_bodies:ResellerBody"),
                                     tags=("resellers",), returns=_answer("ResellerKeyIssued")),
    ("GET", "/admin/resellers"): Op(tags=("resellers",), returns=_answer("ResellerList")),
    ("GET", "/admin/resellers/{reseller_id}"): Op(tags=("resellers",), returns=_answer("ResellerHeld")),
    ("PATCH", "/admin/resellers/{reseller_id}"): Op(body=lambda: ResellerChange, tags=("resellers",),
                                                    returns=_answer("ResellerChanged")),
    ("POST", "/admin/resellers/{reseller_id}/keys"): Op(ok=(201,), tags=("resellers",),
                                                        returns=_answer("ResellerKeyIssued")),
    ("GET", "/producer/end-customers"): Op(query=_q("since", "cursor", "limit"), csv=True, tags=("resellers",),
                                           returns=_answer("EndCustomers")),
    ("GET", "/reseller/me"): Op(tags=("reseller",), returns=_answer("ResellerSelf")),
    ("GET", "/reseller/leads"): Op(query=_q("status"), tags=("reseller",), returns=_answer("ResellerLeads")),
    ("POST", "/reseller/leads"): Op(ok=(200, 201), body=_model("chalicelib.reseller_bodies:RegistrationBody"),
                                    tags=("reseller",), returns=_answer("ResellerRegistration")),
    ("GET", "/reseller/leads/{lead_id}"): Op(tags=("reseller",), returns=_answer("ResellerLead")),
    ("POST", "/reseller/leads/{lead_id}/{action}"): Op(body=lambda: PageForm, body_required=False, tags=("reseller",),
                                                       returns=_answer("ResellerAction")),
    ("POST", "/reseller/sales"): Op(body=_model("chalicelib.reseller_bodies:SalesBody"), body_types=(JSON, "text/csv"),
                                    tags=("reseller",), returns=_answer("SalesReported")),
    ("GET", "/reseller/sales/unmatched"): Op(tags=("reseller",), returns=_answer("UnmatchedSales")),
    # end customers' pages
    ("GET", "/s/{token}"): Op(answer="html", auth=False, query=_q("step", "answer"), tags=("surveys",)),
    ("POST", "/s/{token}"): Op(ok=(200, 303), answer="html", auth=False, query=_q("step"), body=lambda: PageForm,
                               body_required=False, body_types=PAGE_FORM, tags=("surveys",)),
    ("GET", "/u/{token}"): Op(answer="html", auth=False, tags=("surveys",)),
    ("POST", "/u/{token}"): Op(answer="html", auth=False, body=lambda: PageForm, body_required=False,
                               body_types=PAGE_FORM, tags=("surveys",)),
    ("GET", "/c/{token}"): Op(answer="html", auth=False, tags=("privacy",)),
    ("POST", "/c/{token}"): Op(answer="html", auth=False, body=lambda: PageForm, body_required=False,
                               body_types=PAGE_FORM, tags=("privacy",)),
}

# Routes of the local stack's demo website only (``DEMO_SITE``); not part of the API.
DEMO_PATHS = re.compile(r"^/demo(/|$)")


class Error(BaseModel):
    """Every refusal: a code, a sentence for a person, and the fields at fault."""

    error: str
    message: str
    field: str | None
    fields: list[dict[str, Any]]


# --- the document ------------------------------------------------------------------------------------------------


def document(routes: Mapping[str, Mapping[str, Any]], server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (Chalice's ``app.routes``)."""
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    _add_model(Error, schemas)
    for path, methods in sorted(routes.items()):
        if DEMO_PATHS.match(path):
            continue
        for method, entry in sorted(methods.items()):
            op = CONTRACT.get((method, path))
            if op is None:
                raise KeyError(f"{method} {path} has no entry in chalicelib.openapi.CONTRACT")
            paths.setdefault(path, {})[method.lower()] = _operation(method, path, entry, op, schemas)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Leadtrail", "version": "1", "description": __doc__.split("\n\n")[0]},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "an admin, owner, reseller or report key"}},
        },
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


@cache
def cached_document(server_url: str | None = None) -> dict[str, Any]:
    """The running app's document, built on the first ask."""
    from app import app

    return document(app.routes, server_url)


def _add_model(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """``model``'s schema into the components (its nested models beside it); answers a reference to it."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    for name, nested in schema.pop("$defs", {}).items():
        schemas.setdefault(name, nested)
    schemas.setdefault(model.__name__, schema)
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _operation(method: str, path: str, entry: Any, op: Op, schemas: dict[str, Any]) -> dict[str, Any]:
    doc = (getattr(entry.view_function, "__doc__", None) or "").strip()
    summary = doc.split("\n\n")[0].replace("\n", " ") if doc else f"{method} {path}"
    operation: dict[str, Any] = {
        "operationId": entry.view_name if method != "OPTIONS" else f"{entry.view_name}_options",
        "summary": summary[:300],
        "tags": list(op.tags),
        "parameters": _parameters(path, op, schemas),
        "responses": _responses(op, schemas),
    }
    if op.auth:
        operation["security"] = [{"bearer": []}]
    if op.body is not None:
        reference = _add_model(op.body(), schemas)
        types = [kind for kind in op.body_types if kind in entry.content_types] or list(op.body_types)
        operation["requestBody"] = {"required": op.body_required, "content": {
            kind: {"schema": reference if kind in (JSON, FORM, "multipart/form-data") else {"type": "string"}}
            for kind in types}}
    return operation


def _parameters(path: str, op: Op, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": dict(PATH_SCHEMAS.get((path, name), {"type": "string", "minLength": 1}))}
                  for name in re.findall(r"{(\w+)}", path)]
    query = list(op.query)
    if op.query_model is not None:
        model_schema = op.query_model().model_json_schema(ref_template=REF_TEMPLATE)
        required = set(model_schema.get("required", []))
        query += [Param(name, schema, name in required) for name, schema in model_schema["properties"].items()]
    parameters += [{"name": param.name, "in": "query", "required": param.required, "schema": dict(param.schema)}
                   for param in query]
    if op.csv:
        parameters.append({"name": "Accept", "in": "header", "required": False,
                           "schema": {"type": "string", "enum": [JSON, "text/csv"]}})
    return parameters


def _content(op: Op, success: bool, schemas: dict[str, Any]) -> dict[str, Any]:
    answer = _add_model(op.returns(), schemas) if success and op.returns is not None else ANY_JSON
    if op.answer == "html" and success:
        return {HTML: {"schema": {"type": "string"}}}
    if op.answer in ("page", "html"):
        return {HTML: {"schema": {"type": "string"}}, JSON: {"schema": answer}}
    if not success:
        return {JSON: {"schema": ERROR_REF}}
    if op.answer == "gif":
        return {"image/gif": {"schema": {"type": "string", "contentMediaType": "image/gif"}}}
    if op.answer == "js":
        return {"application/javascript": {"schema": {"type": "string"}}}
    content: dict[str, Any] = {JSON: {"schema": answer}}
    if op.csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return content


def _responses(op: Op, schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in op.ok:
        answer: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "done")}
        if status not in (204, 303) and op.answer != "empty":
            answer["content"] = _content(op, success=True, schemas=schemas)
        responses[str(status)] = answer
    refused = {"description": "refused: the body names the field at fault",
               "content": _content(op, success=False, schemas=schemas)}
    if op.answer in ("gif", "js"):
        refused = {"description": "refused", "content": {JSON: {"schema": ERROR_REF}}}
    responses["4XX"] = refused
    responses["5XX"] = {"description": "our fault; safe to retry", "content": {JSON: {"schema": ERROR_REF}}}
    return responses


_STATUS_TEXT = {200: "done", 201: "made", 202: "accepted", 204: "no content", 303: "see the Location header"}
