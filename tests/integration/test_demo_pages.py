"""The local demo website: every page carries the snippet; the contact page has the form."""

from __future__ import annotations

import pytest

from tests.conftest import Api


@pytest.mark.parametrize("path", ["/demo", "/demo/pricing", "/demo/about", "/demo/contact", "/demo/thanks"])
def test_every_demo_page_embeds_the_snippet(api: Api, path: str):
    response = api.client.http.get(path)
    assert response.status_code == 200
    page = response.body.decode()
    assert '<script async src="/snippet.js" data-site="demo"></script>' in page
    assert "<title>Nordlys Solar – " in page and page.rstrip().endswith("</html>")


def test_the_contact_page_posts_the_form_to_the_demo_site_with_a_honeypot(api: Api):
    page = api.client.http.get("/demo/contact").body.decode()
    assert '<form id="contact-form" method="post" action="/forms/demo">' in page
    assert 'name="_gotcha"' in page and 'name="_next" value="/demo/thanks"' in page


@pytest.mark.parametrize("path", ["/demo/layout", "/demo/nope", "/demo/..%2Fapp"])
def test_other_demo_paths_are_404(api: Api, path: str):
    assert api.client.http.get(path).status_code == 404
