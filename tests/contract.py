"""Every answer the integration tests receive, checked against the served OpenAPI document.

The ``api`` fixture's clients call :func:`check_answer` after each request, so every test of the HTTP API is also
a test of the document: a JSON answer must match the schema documented for its route and status, and a status
the document does not name for the route is a failure. Requests to paths outside the document (the demo site, a
path that does not exist) are not checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from chalicelib.openapi import cached_document


class ContractBroken(AssertionError):
    pass


def patterns(paths: Iterable[str]) -> list[tuple[re.Pattern[str], str]]:
    """Path templates as patterns, segment by segment a literal before a parameter (``/x/me`` before ``/x/{id}``)."""
    ordered = sorted(paths, key=lambda path: [(part.startswith("{"), part) for part in path.split("/")])
    return [(re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$"), path) for path in ordered]


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    return patterns(cached_document()["paths"])


def template_of(url: str, templates: list[tuple[re.Pattern[str], str]] | None = None) -> str | None:
    path = urlsplit(url).path
    return next((template for pattern, template in templates or _templates() if pattern.match(path)), None)


def answer_schema(doc: dict[str, Any], method: str, template: str, status: str) -> dict[str, Any]:
    """The JSON schema ``doc`` gives an answer, standing alone (with the components its references point to)."""
    schema = doc["paths"][template][method]["responses"][status]["content"]["application/json"]["schema"]
    return {"components": doc["components"], **schema}


@cache
def _validator(template: str, method: str, status: str, media: str) -> Draft202012Validator | None:
    if media != "application/json":
        return None
    return Draft202012Validator(answer_schema(cached_document(), method, template, status))


def _documented_status(responses: dict[str, Any], status: int) -> str | None:
    for name in (str(status), f"{str(status)[0]}XX"):
        if name in responses:
            return name
    return None


def problems(method: str, url: str, response: Any) -> Iterator[str]:
    """What is wrong with ``response`` to ``method url`` by the document (nothing when it matches)."""
    template = template_of(url)
    operation = cached_document()["paths"].get(template or "", {}).get(method.lower())
    if template is None or operation is None:
        return
    where = f"{method.upper()} {template} -> {response.status_code}"
    status = _documented_status(operation["responses"], response.status_code)
    if status is None:
        yield f"{where}: the document names no such answer ({', '.join(operation['responses'])})"
        return
    content = operation["responses"][status].get("content")
    if content is None:
        return
    # no Content-Type is JSON: API Gateway's proxy integration answers application/json then
    declared = response.headers.get("Content-Type") or response.headers.get("content-type") or "application/json"
    media = declared.split(";")[0].strip()
    if media not in content:
        if response.body:
            yield f"{where}: answered {media}, the document says {', '.join(content)}"
        return
    validator = _validator(template, method.lower(), status, media)
    if validator is None:
        return
    try:
        body = json.loads(response.body)
    except ValueError:
        yield f"{where}: not JSON: {response.body[:120]!r}"
        return
    for error in validator.iter_errors(body):
        at = "/".join(str(part) for part in error.absolute_path) or "(the answer)"
        yield f"{where}: at {at}: {error.message[:300]}"


def check_answer(method: str, url: str, response: Any) -> None:
    found = list(problems(method, url, response))
    if found:
        raise ContractBroken("the answer does not match /openapi.json:\n  " + "\n  ".join(found[:8]))


class ContractCheckedHttp:
    """A chalice test HTTP client whose every answer is checked by :func:`check_answer`, then ``after`` runs."""

    _METHODS = ("get", "post", "put", "patch", "delete", "options", "head")

    def __init__(self, http: Any, after: Any = None):
        self._http = http
        self._after = after

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._http, name)
        if name not in (*self._METHODS, "request"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            response = attribute(*args, **kwargs)
            if self._after is not None:
                self._after()
            if name == "request":
                method = args[0] if args else kwargs["method"]
                url = args[1] if len(args) > 1 else kwargs["path"]
            else:
                method, url = name, args[0] if args else kwargs["path"]
            check_answer(method, url, response)
            return response

        return call
