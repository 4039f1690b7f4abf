"""Static web assets: the tracking snippet and the local demo website."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chalice import Response

from chalicelib.rendering import render_page

HERE = Path(__file__).parent
# The pages a visitor may ask for; ``layout`` and ``not_found`` are templates, not pages.
DEMO_PAGES = frozenset({"index", "pricing", "about", "contact", "thanks"})
DEMO_LANGUAGE = "en"


@lru_cache(maxsize=1)
def snippet() -> str:
    return (HERE / "snippet.js").read_text(encoding="utf-8")


def demo_page(page: str) -> Response:
    name = page.removesuffix(".html")
    if name not in DEMO_PAGES:
        return _html(render_page("demo/not_found", DEMO_LANGUAGE), status=404)
    return _html(render_page(f"demo/{name}", DEMO_LANGUAGE))


def _html(page: str, status: int = 200) -> Response:
    return Response(body=page, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
