"""What a website loads from Leadtrail: the small snippet everywhere, the forms script only where a form posts here."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from chalicelib import web
from tests.conftest import Api


def test_the_snippet_loads_the_forms_script_only_for_forms_that_post_to_leadtrail():
    script = web.snippet()

    assert "/snippet-forms.js" in script and "api + '/forms/'" in script and "data-api" in script
    assert "sendBeacon" in script and len(script.encode()) <= 6 * 1024


def test_the_forms_script_is_served_as_cacheable_javascript(api: Api):
    response = api.client.http.get("/snippet-forms.js")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.body.decode()
    assert "Idempotency-Key" in body and "aria-invalid" in body and "aria-describedby" in body
    assert len(response.body) <= 6 * 1024


def test_the_scripts_are_served_without_indentation_or_comment_lines():
    for script in (web.snippet(), web.forms_script()):
        assert not [line for line in script.splitlines() if line != line.lstrip() or line.startswith("//")]


def test_the_forms_script_speaks_danish_and_english():
    script = web.forms_script()

    assert "Skriv din e-mailadresse" in script and "Type your e-mail address" in script


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks that the served scripts parse")
@pytest.mark.parametrize("name", ["snippet", "forms_script"])
def test_the_served_scripts_are_valid_javascript(name: str):
    source = getattr(web, name)()

    checked = subprocess.run(["node", "--check", "-"], input=source, text=True, capture_output=True, check=False)

    assert checked.returncode == 0, checked.stderr


def test_every_demo_page_has_an_icon_so_browsers_ask_no_favicon(api: Api):
    for path in ("/demo", "/demo/contact", "/demo/nope"):
        assert '<link rel="icon" href="data:,">' in api.client.http.get(path).body.decode()


def test_the_contact_form_labels_every_field_and_describes_the_phone(api: Api):
    page = api.client.http.get("/demo/contact").body.decode()

    for field in ("name", "email", "company", "phone", "postcode", "message", "consent_marketing"):
        assert f'<label for="{field}"' in page or f'for="{field}">' in page
    assert 'aria-describedby="phone-hint"' in page and 'id="phone-hint"' in page
