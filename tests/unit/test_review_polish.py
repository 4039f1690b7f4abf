"""Small things a reviewer found: the demo site's keyboard focus is visible, the Danish reads naturally."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _luminance(colour: str) -> float:
    channels = [int(colour[index:index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_demo_sites_focus_outline_stands_out_3_to_1_on_the_page_and_in_the_header():
    css = (ROOT / "chalicelib/web/demo/layout.html").read_text()
    page_outline = re.search(r"textarea:focus-visible\{outline:3px solid (#[0-9a-f]{6})", css)
    header_outline = re.search(r"header a:focus-visible\{outline-color:(#[0-9a-f]{6})\}", css)
    header_background = re.search(r"header\{background:(#[0-9a-f]{6})", css)
    assert page_outline and header_outline and header_background
    assert _contrast(page_outline.group(1), "#ffffff") >= 3
    assert _contrast(header_outline.group(1), header_background.group(1)) >= 3


def test_the_danish_link_pages_read_naturally():
    danish = json.loads((ROOT / "chalicelib/templates/messages/pages.json").read_text())["da"]
    assert danish["linkpage.open.intro.accept"] == "Acceptér leadet, så får du kontaktoplysningerne."
    assert danish["linkpage.promise.contacted"] == "Du registrerede kontakt {when}."
