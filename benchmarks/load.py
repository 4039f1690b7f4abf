"""``make load``: a locust profile against a local stack of its own, then a reconciliation of what it accepted.

The stack is ``make run``'s (``python -m chalicelib.local.stack``) on free ports, its demo tenant's journey
extended with a survey right after each accept. Locust's users, on this machine only:

- visitors browse: batches of 1-3 page views to ``/collect`` and now and then the pixel;
- prospects send the contact form (a page view first, so the form is stitched to the visitor); one in ten
  is a returning prospect sending it again;
- salespeople accept the hand-overs of new leads with the owner's key;
- end customers answer the survey whose link the stack printed in its e-mail.

After a bounded run (``--seconds``) the table is read once it is quiet, and every accepted page view, form,
accept and survey answer must be in it exactly once: each page view under its own key and no other, as many
``form_submit`` events per lead as forms were answered 201, one ``accepted`` event and one planned survey per
accepted hand-over, one ``survey_answered`` event per answered survey. The stack's change stream falls behind
under this load (one process, one emulator), so after the users stop the run waits until it has caught up (a
last prospect's form, accept and survey e-mail show it), prints how long that took, and answers the surveys
whose e-mails came after the users stopped. It prints throughput, errors and the reconciliation, and exits
non-zero when anything does not reconcile or a request failed (``--json`` writes the same figures).
"""

from __future__ import annotations

import gevent.monkey  # noqa: I001 - locust's gevent must patch the standard library before anything else

gevent.monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from benchmarks.reconcile import Sent, reconcile  # noqa: E402
from chalicelib.local.launch import StackFailed, launched_stack  # noqa: E402

ADMIN_KEY = "demo-admin-key"
OWNER_KEYS = {"sales-a@demo.dk": "sales-a-key", "sales-b@demo.dk": "sales-b-key"}
SURVEY_LINK = re.compile(r"https?://[^/\s]+(/s/[A-Za-z0-9_.~-]+)")
QUIET_FOR = 1.0
QUIET_WITHIN = 120.0
CATCH_UP_WITHIN = 900.0


SENT = Sent()
STACK_OUTPUT: dict[str, Path] = {}
READ_FROM: dict[str, int] = {}
ORIGIN: dict[str, str] = {}


def _page_event(path: str) -> dict[str, Any]:
    return {"type": "pageview", "url": f"{ORIGIN['origin']}/demo{path}?utm_source=load&utm_medium=cpc",
            "title": "Load", "id": uuid.uuid4().hex[:16]}


class Visitor(HttpUser):
    weight = 6
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.vid = "v" + uuid.uuid4().hex[:22]

    @task(5)
    def browse(self) -> None:
        events = [_page_event(random.choice(["/", "/pricing", "/products", "/contact"]))
                  for _ in range(random.randint(1, 3))]
        with self.client.post("/collect", data=json.dumps({"site": "demo", "vid": self.vid, "events": events}),
                              headers={"Content-Type": "text/plain", "Origin": ORIGIN["origin"]},
                              name="/collect", catch_response=True) as answer:
            if answer.status_code == 202 and answer.json().get("accepted") == len(events):
                SENT.page_views[self.vid].update(event["id"] for event in events)
            else:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")

    @task(1)
    def pixel(self) -> None:
        event_id = uuid.uuid4().hex[:16]
        answer = self.client.get("/t.gif", params={"site": "demo", "vid": self.vid, "id": event_id, "e": "pageview",
                                                   "url": f"{ORIGIN['origin']}/demo/newsletter"}, name="/t.gif")
        if answer.status_code == 200:
            SENT.page_views[self.vid].add(event_id)


class Prospect(HttpUser):
    weight = 2
    wait_time = between(0.2, 0.6)

    def on_start(self) -> None:
        self.emails: list[str] = []

    @task
    def contact_form(self) -> None:
        returning = bool(self.emails) and random.random() < 0.1
        email = random.choice(self.emails) if returning else f"load-{uuid.uuid4().hex[:10]}@kunde.dk"
        vid = "v" + uuid.uuid4().hex[:22]
        event = _page_event("/contact")
        self.client.post("/collect", data=json.dumps({"site": "demo", "vid": vid, "events": [event]}),
                         headers={"Content-Type": "text/plain", "Origin": ORIGIN["origin"]}, name="/collect")
        SENT.page_views[vid].add(event["id"])
        body = {"email": email, "name": "Load Test", "company": "Belastning ApS", "et_vid": vid,
                "postcode": str(random.randint(1000, 9990))}
        with self.client.post("/forms/demo", json=body, headers={"Origin": ORIGIN["origin"]}, name="/forms/{site}",
                              catch_response=True) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")
                return
            lead_id = answer.json()["lead_id"]
        SENT.forms[lead_id] += 1
        if not returning:
            self.emails.append(email)
            SENT.new_leads.append(lead_id)


class Salesperson(HttpUser):
    fixed_count = 2
    wait_time = between(0.2, 0.5)

    @task
    def accept_a_new_lead(self) -> None:
        if not SENT.new_leads:
            return
        lead_id = SENT.new_leads.pop(0)
        lead = self.client.get(f"/leads/{lead_id}", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                               name="/leads/{lead_id}")
        offered = [handover for handover in lead.json().get("handovers", []) if handover.get("status") == "offered"]
        if not offered:
            SENT.new_leads.append(lead_id)  # its hand-over is not made yet: later
            return
        handover = offered[0]
        key = OWNER_KEYS[handover["owner"]]
        with self.client.post(f"/handovers/{handover['handover_id']}/accept", json={},
                              headers={"Authorization": f"Bearer {key}"}, name="/handovers/{id}/accept",
                              catch_response=True) as answer:
            if answer.status_code == 200 and answer.json().get("changed") is not False:
                SENT.accepted.add(handover["handover_id"])
            elif answer.status_code != 200:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")


class EndCustomer(HttpUser):
    fixed_count = 1
    wait_time = between(0.3, 0.8)

    @task
    def answer_a_survey(self) -> None:
        _read_survey_links()
        if not SENT.survey_links:
            return
        link = SENT.survey_links.pop(0)
        SENT.used_links.add(link)
        self.client.get(link, name="/s/{token}")
        with self.client.post(link, data={"step": "0", "answer": "yes", "action": "next"}, allow_redirects=False,
                              name="/s/{token} answer", catch_response=True) as answer:
            if answer.status_code == 303:
                SENT.answered += 1
            else:
                answer.failure(f"{answer.status_code} {answer.text[:200]}")


def _read_survey_links() -> None:
    """The survey links of the e-mails the stack printed since the last look."""
    with STACK_OUTPUT["path"].open("rb") as output:
        output.seek(READ_FROM.get("offset", 0))
        text = output.read().decode(errors="replace")
    cut = text.rfind("\n") + 1  # a line still being written is read next time
    READ_FROM["offset"] = READ_FROM.get("offset", 0) + len(text[:cut].encode())
    for path in SURVEY_LINK.findall(text[:cut]):
        if path not in SENT.used_links and path not in SENT.survey_links:
            SENT.survey_links.append(path)


# --- the stack --------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _request(base_url: str, method: str, path: str, body: Any = None, key: str = ADMIN_KEY, origin: str | None = None,
             form: dict[str, str] | None = None) -> tuple[int, Any]:
    """One request outside locust (set-up and catch-up); a redirect is answered, not followed."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(
        {"Origin": origin} if origin else {})}
    data = json.dumps(body).encode() if body is not None else None
    if form is not None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if answer.headers.get_content_type() == "application/json" else text
    except urllib.error.HTTPError as error:
        return error.code, error.read()[:300]
    except OSError as error:
        return 0, str(error)


def _table_items(aws_endpoint: str) -> list[dict[str, Any]]:
    import boto3

    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="eu-west-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName="leadtrail-local"):
        items += page["Items"]
    return items


def _quiet_items(aws_endpoint: str) -> list[dict[str, Any]]:
    """The table once nothing changed in it for ``QUIET_FOR`` seconds (the stream consumers have caught up)."""
    deadline = time.monotonic() + QUIET_WITHIN
    last = _table_items(aws_endpoint)
    while time.monotonic() < deadline:
        time.sleep(QUIET_FOR)
        now = _table_items(aws_endpoint)
        if len(now) == len(last) and now == last:
            return now
        last = now
    return last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the users run (bounded)")
    parser.add_argument("--users", type=int, default=20, help="at least 4: two salespeople, an end customer, others")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    if not 0 < options.seconds <= 900 or not 4 <= options.users <= 200:
        parser.error("--seconds must be 1-900 and --users 4-200: the load stays bounded")

    with tempfile.NamedTemporaryFile(prefix="leadtrail-load-", suffix=".log", delete=False) as log:
        STACK_OUTPUT["path"] = Path(log.name)
        result: int | None = None
        try:
            with launched_stack(log) as stack:
                ORIGIN["origin"] = stack.base_url
                result = _run(options, stack.base_url, stack.aws_endpoint)
        except StackFailed as failure:
            print(f"{failure}:\n{STACK_OUTPUT['path'].read_text()[-3000:]}", file=sys.stderr)
        return 2 if result is None else result  # a stack that had to be killed after the run leaves the figures


def _run(options: argparse.Namespace, base_url: str, aws_endpoint: str) -> int:
    status, journey = _request(base_url, "GET", "/admin/journey")
    definition = {**journey["definition"], "survey_basis": "legitimate_interest",
                  "surveys": [{"name": "after-accept", "after": "handover_accepted", "delay": "PT0S"}]}
    status, answer = _request(base_url, "PUT", "/admin/journey", definition)
    if status != 200:
        print(f"the load journey was refused: {answer}", file=sys.stderr)
        return 2

    # stop_timeout: a user finishes the request it is in, so what the stack accepted is also known here.
    environment = Environment(user_classes=[Visitor, Prospect, Salesperson, EndCustomer], host=base_url,
                              stop_timeout=30)
    runner = environment.create_local_runner()
    started = time.monotonic()
    runner.start(options.users, spawn_rate=options.users)
    gevent.sleep(options.seconds)
    kinds = dict(runner.user_classes_count)
    runner.stop()
    runner.quit()
    elapsed = time.monotonic() - started
    answered_during_run = SENT.answered
    caught_up = _catch_up(base_url)
    total = environment.stats.total
    figures: dict[str, Any] = {
        "seconds": round(elapsed, 1), "users": options.users, "users_by_kind": kinds, "requests": total.num_requests,
        "failures": total.num_failures, "requests_per_second": round(total.num_requests / elapsed, 1),
        "median_ms": total.get_response_time_percentile(0.5), "p95_ms": total.get_response_time_percentile(0.95),
        "per_route": {name: {"requests": entry.num_requests, "failures": entry.num_failures,
                             "p95_ms": entry.get_response_time_percentile(0.95)}
                      for (name, _), entry in sorted(environment.stats.entries.items())},
        "errors": [f"{error.method} {error.name}: {error.error} ({error.occurrences}x)"
                   for error in environment.stats.errors.values()][:20],
        "exceptions": [f"{entry['msg']} ({entry['count']}x)" for entry in runner.exceptions.values()][:20],
        "survey_answers_during_run": answered_during_run, "survey_answers_after": SENT.answered - answered_during_run,
        "stream_caught_up_after_s": caught_up,
    }
    figures["reconciliation"] = reconcile(_quiet_items(aws_endpoint), SENT)
    _print(figures)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
    troubles = figures["failures"] or figures["exceptions"] or figures["reconciliation"]["problems"]
    return 1 if troubles or caught_up is None else 0


def _catch_up(base_url: str) -> float | None:
    """Seconds until the stack's change stream has caught up with the run, then every survey it sent is answered.

    The stream is read in order, so one last prospect shows it: its form becomes a hand-over only once the stream
    reached the form, and its accept a survey e-mail only once it reached the accept and the survey's timer. ``None``
    when that did not happen within ``CATCH_UP_WITHIN`` seconds (the reconciliation then says what is missing).
    """
    started = time.monotonic()
    deadline = started + CATCH_UP_WITHIN
    email = f"load-last-{uuid.uuid4().hex[:8]}@kunde.dk"
    status, answer = _request(base_url, "POST", "/forms/demo", {"email": email, "name": "Last Prospect"},
                              origin=ORIGIN["origin"])
    if status != 201:
        return None
    lead_id = answer["lead_id"]
    SENT.forms[lead_id] += 1
    handover = None
    while handover is None and time.monotonic() < deadline:
        time.sleep(0.5)
        lead = _request(base_url, "GET", f"/leads/{lead_id}")[1]
        handover = next((h for h in lead.get("handovers", []) if h.get("status") == "offered"), None)
    if handover is None:
        return None
    status, answer = _request(base_url, "POST", f"/handovers/{handover['handover_id']}/accept", {},
                              key=OWNER_KEYS[handover["owner"]])
    if status != 200:
        return None
    SENT.accepted.add(handover["handover_id"])
    mailed_to = re.compile(rf"E-MAIL\s+to {re.escape(email)}\b")
    while not mailed_to.search(STACK_OUTPUT["path"].read_text(errors="replace")):
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)
    caught_up = round(time.monotonic() - started, 1)
    _read_survey_links()
    while SENT.survey_links:
        link = SENT.survey_links.pop(0)
        SENT.used_links.add(link)
        if _request(base_url, "POST", link, form={"step": "0", "answer": "yes", "action": "next"})[0] == 303:
            SENT.answered += 1
    return caught_up


def _print(figures: dict[str, Any]) -> None:
    kinds = ", ".join(f"{count} {kind}" for kind, count in figures["users_by_kind"].items())
    print(f"\nLoad: {figures['users']} users ({kinds}) for {figures['seconds']} s against a local stack here")
    print(f"  {figures['requests']} requests, {figures['failures']} failed, "
          f"{figures['requests_per_second']} per second, median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms")
    for name, entry in figures["per_route"].items():
        print(f"    {name:28} {entry['requests']:6} requests  {entry['failures']:4} failed  p95 {entry['p95_ms']} ms")
    for error in figures["errors"]:
        print(f"  error: {error}")
    for exception in figures["exceptions"]:
        print(f"  exception in a user: {exception}")
    found = figures["reconciliation"]
    caught_up = figures["stream_caught_up_after_s"]
    print(f"  change stream caught up {caught_up} s after the users stopped" if caught_up is not None else
          f"  change stream NOT caught up within {CATCH_UP_WITHIN:.0f} s after the users stopped")
    print(f"  survey answers: {figures['survey_answers_during_run']} during the run, "
          f"{figures['survey_answers_after']} after it caught up")
    print(f"  reconciliation: {found['page_views']} page views, {found['forms']} forms ({found['leads']} leads), "
          f"{found['accepts']} accepts, {found['survey_answers']} survey answers accepted")
    if found["problems"]:
        print("  NOT exactly once:")
        for problem in found["problems"][:30]:
            print(f"    {problem}")
    else:
        print("  every accepted page view, form, accept and survey answer is in the table exactly once")


if __name__ == "__main__":
    sys.exit(main())
