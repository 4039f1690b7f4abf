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


@pytest.mark.parametrize("path", ["/demo/layout", "/demo/nope", "/demo/..%2Fapp", "/demo/not_found"])
def test_other_demo_paths_answer_a_404_page_that_leads_home_and_counts_no_view(api: Api, path: str):
    response = api.client.http.get(path)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "<h1>Page not found</h1>" in page and '<a href="/demo">' in page and "snippet.js" not in page
