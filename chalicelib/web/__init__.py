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
    text = (HERE / "demo" / f"{name}.html").read_text(encoding="utf-8")
    return Response(body=text, headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
