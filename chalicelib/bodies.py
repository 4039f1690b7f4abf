"""Request bodies and validation errors: the pure helpers every route shares, without pydantic.

The capture path imports this on a cold start, so it stays free of pydantic's model layer; a validation
error here is pydantic-core's, the class pydantic re-exports as ``pydantic.ValidationError``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from chalicelib.errors import InvalidInput, MalformedInput

if TYPE_CHECKING:
    from pydantic_core import ValidationError

MAX_JSON_DEPTH = 32
_JSON_SYNTAX = re.compile(r'[\[\]{}"\\]')


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than allowed, outside strings: one linear pass, no recursion."""
    depth = 0
    in_string = False
    skip_to = 0
    for token in _JSON_SYNTAX.finditer(text):
        at, char = token.start(), token.group()
        if at < skip_to:
            continue
        if in_string:
            if char == "\\":
                skip_to = at + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def json_document(body: str | bytes) -> Any:
    """Any JSON value from a request body; nesting deeper than ``MAX_JSON_DEPTH`` is refused before parsing.

    The standard parser recurses once per level and fails with a RecursionError (not a ValueError) on a
    body such as ``[[[[...``, so the depth is checked first; either failure is a malformed body.
    """
    try:
        text = body.decode(json.detect_encoding(body)) if isinstance(body, bytes) else body
    except (UnicodeDecodeError, LookupError):
        raise MalformedInput("the body is not JSON", field="body") from None
    if _too_deep(text):
        raise MalformedInput(f"the body nests deeper than {MAX_JSON_DEPTH} levels", field="body")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedInput("the body is not JSON", field="body") from None


def json_object(text: str | bytes) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    data = json_document(text)
    if not isinstance(data, dict):
        raise MalformedInput("the body must be a JSON object", field="body")
    return data


def field_errors(error: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """Pydantic's errors as ``[{"field": "events.0.url", "message": ...}]``."""
    details = []
    # Without the documentation links: building them imports pydantic (for its version) on a cold start.
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"])
        details.append({"field": f"{prefix}{path}" if path else prefix.rstrip(".") or "body", "message": item["msg"]})
    return details


def invalid(error: ValidationError, prefix: str = "") -> InvalidInput:
    details = field_errors(error, prefix)
    first = details[0]
    return InvalidInput(f"{first['field']}: {first['message']}", field=first["field"], details=details)
