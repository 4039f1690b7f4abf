"""Static web assets: the tracking snippet, its forms script and the local demo website."""

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
    """``snippet.js`` as websites load it: page views and the visitor id, on every page."""
    return _compact((HERE / "snippet.js").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def forms_script() -> str:
    """``snippet-forms.js``: loaded by the snippet only on pages with a form that posts to Leadtrail."""
    return _compact((HERE / "forms.js").read_text(encoding="utf-8"))


def _compact(source: str) -> str:
    """Without indentation and comment lines: what a browser downloads is a third smaller, the source stays
    readable. Safe for these files: no template literal or string spans lines."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def demo_page(page: str) -> Response:
    name = page.removesuffix(".html")
    if name not in DEMO_PAGES:
        return _html(render_page("demo/not_found", DEMO_LANGUAGE), status=404)
    return _html(render_page(f"demo/{name}", DEMO_LANGUAGE))


def _html(page: str, status: int = 200) -> Response:
    return Response(body=page, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
