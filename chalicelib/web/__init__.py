"""Static web assets: the tracking snippet and the local demo website."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from chalice import Response

HERE = Path(__file__).parent
DEMO_PAGES = {"index", "pricing", "about", "contact", "thanks"}


@lru_cache(maxsize=1)
def snippet() -> str:
    return (HERE / "snippet.js").read_text(encoding="utf-8")


def demo_page(page: str) -> Response:
    name = page.removesuffix(".html")
    if name not in DEMO_PAGES or not re.fullmatch(r"[a-z]+", name):
        return Response(body={"error": "not_found", "message": f"no demo page {page!r}", "field": "page"},
                        status_code=404)
    # Each page file is its body, headed by a comment holding its title; the layout wraps it.
    first_line, _, body = (HERE / "demo" / f"{name}.html").read_text(encoding="utf-8").partition("\n")
    title = first_line.removeprefix("<!--").removesuffix("-->").strip()
    text = _layout().format(title=title, body=body.rstrip("\n"))
    return Response(body=text, headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})


@lru_cache(maxsize=1)
def _layout() -> str:
    return (HERE / "demo" / "layout.html").read_text(encoding="utf-8")
