"""``make bench``: the package size, the capture hot path, DynamoDB request counts and cold starts.

The hot path runs in-process against moto, so absolute numbers describe this machine and moto, not
AWS; the ratios against a bare ``put_item`` and a bare ``import boto3`` in the same run are the
figures to compare across machines.

Cold starts run the packaged zip (``out/deployment.zip``, built by ``make package``) the way Lambda
does: each figure is a fresh ``python -S`` process whose path is the unzipped package followed by a
stand-in for the runtime's own boto3 (the venv's boto3, botocore and their dependencies, nothing
else), with tracing on as in a deployed function, against a moto server in this process. Like
Lambda's read-only ``/var/task``, no process writes bytecode: what is not shipped compiled is compiled
again by every cold start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1", POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING", TABLE_NAME="bench-journey",
)
os.environ.pop("AWS_ENDPOINT_URL", None)

PAGEVIEWS = int(os.environ.get("BENCH_PAGEVIEWS", "2000"))
IMPORT_RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "9"))
PACKAGE = ROOT / "out" / "deployment.zip"
# What the Lambda Python runtime puts on the path beside the package: boto3 and what it needs.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
XRAY_MODULES = ("aws_xray_sdk", "wrapt")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers roughly)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        kind, inner = next(iter(value.items()))
        if kind == "S":
            size += len(inner.encode())
        elif kind == "N":
            size += len(inner) // 2 + 1
        else:
            size += len(json.dumps(inner).encode())
    return size


def event(method: str, resource: str, path: str, headers: dict[str, str], body: str | None = None,
          path_params: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": path_params, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": path, "stage": "api",
                           "requestId": str(uuid.uuid4()), "identity": {"sourceIp": "198.51.100.23"}},
        "body": body, "isBase64Encoded": False,
    }


def collect_event(vid: str, count: int = 1) -> dict[str, Any]:
    events = [{"type": "pageview", "title": "Priser", "ref": "https://www.google.com/",
               "url": f"https://www.nordlys-solar.dk/priser?utm_source=google&utm_medium=cpc&utm_campaign=q4&n={i}"}
              for i in range(count)]
    body = json.dumps({"site": "demo", "vid": vid, "events": events})
    return event("POST", "/collect", "/collect",
                 {"Content-Type": "text/plain", "Origin": "https://www.nordlys-solar.dk"}, body)


def form_event(email: str, vid: str) -> dict[str, Any]:
    body = json.dumps({"email": email, "name": "Mette", "et_vid": vid, "message": "Tilbud, tak"})
    return event("POST", "/forms/{site}", "/forms/demo",
                 {"Content-Type": "application/json", "Origin": "https://www.nordlys-solar.dk"}, body,
                 {"site": "demo"})


def pixel_event(vid: str) -> dict[str, Any]:
    request = event("GET", "/t.gif", "/t.gif", {"Accept": "image/avif,image/webp,*/*"})
    request["queryStringParameters"] = {"site": "demo", "vid": vid, "e": "pageview",
                                        "url": "https://www.nordlys-solar.dk/?utm_source=newsletter"}
    request["multiValueQueryStringParameters"] = {k: [v] for k, v in request["queryStringParameters"].items()}
    return request


def demo_wiring(client: Any, table_name: str) -> Any:
    """The demo tenant, its site and its journey in a new table, and a ``bootstrap.Container`` serving them."""
    from chalicelib import bootstrap
    from chalicelib.adapters.dynamo import Repositories
    from chalicelib.domain.capture import Site
    from chalicelib.domain.journey import JourneyDefinition
    from chalicelib.local.provision import create_tables
    from chalicelib.local.seed import DEMO_JOURNEY
    from chalicelib.services.ports import Tenant
    from chalicelib.services.tenancy import register_tenant
    from chalicelib.settings import Settings

    create_tables(client, {"JourneyTable": table_name})
    repositories = Repositories(table_name, client)
    register_tenant(repositories.tenancy, Tenant("demo", "Demo"),
                    [Site("demo", "demo", ("https://www.nordlys-solar.dk",))], ["bench-key"])
    # The demo journey: every form submission also starts a hand-over (round-robin turn + same write).
    journey = JourneyDefinition.model_validate(DEMO_JOURNEY).model_dump(mode="json", exclude_none=True)
    repositories.journeys.save_journey("demo", journey, "2026-01-01T00:00:00.000Z")
    return bootstrap.Container(settings=Settings(table_name=table_name), dynamodb_client=client)


def in_process() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
        written: list[dict[str, Any]] = []  # items as sent, whatever keys the repositories build
        client.meta.events.register("before-parameter-build.dynamodb.PutItem",
                                    lambda params, **_: written.append(params["Item"]))

        from chalicelib import bootstrap

        bootstrap.use(demo_wiring(client, "bench-journey"))
        from app import app
        from chalicelib.observability import logger

        logger.setLevel("WARNING")

        # Warm up: the site lookup is cached after the first page view, as in a warm Lambda.
        app(collect_event("warmup000000"), None)

        handler_ms: list[float] = []
        put_ms: list[float] = []
        calls.clear()
        started = time.perf_counter()
        for index in range(PAGEVIEWS):
            request = collect_event(f"visitor{index:08d}")
            began = time.perf_counter()
            answer = app(request, None)
            handler_ms.append((time.perf_counter() - began) * 1000)
            assert answer["statusCode"] == 202, answer
        elapsed = time.perf_counter() - started
        pageview_calls = dict(calls)
        assert written, "a page view no longer writes with PutItem: measure its item another way"
        pageview_item = written[-1]

        for index in range(PAGEVIEWS):
            item = {"pk": {"S": f"BARE#{index}"}, "sk": {"S": "X"}, "u": {"S": "https://www.nordlys-solar.dk/"}}
            began = time.perf_counter()
            client.put_item(TableName="bench-journey", Item=item)
            put_ms.append((time.perf_counter() - began) * 1000)

        calls.clear()
        app(collect_event("batchvisitor01", 25), None)
        batch_calls = dict(calls)

        app(form_event("warmup@firma.dk", "warmupvisitor01"), None)  # a warm Lambda has the journey cached
        vid = "formvisitor0001"
        app(collect_event(vid, 3), None)
        calls.clear()
        answer = app(form_event("mette@hansen-aps.dk", vid), None)
        assert answer["statusCode"] == 201, answer
        new_form_calls = dict(calls)
        calls.clear()
        app(form_event("Mette@Hansen-ApS.dk", vid), None)
        returning_form_calls = dict(calls)
        bootstrap.use(None)

    return {
        "pageviews": PAGEVIEWS,
        "events_per_s": PAGEVIEWS / elapsed,
        "handler_p50": statistics.median(handler_ms),
        "handler_p99": percentile(handler_ms, 0.99),
        "put_p50": statistics.median(put_ms),
        "put_p99": percentile(put_ms, 0.99),
        "pageview_calls": pageview_calls,
        "batch_calls": batch_calls,
        "new_form_calls": new_form_calls,
        "returning_form_calls": returning_form_calls,
        "item_bytes": item_size(pageview_item),
    }


FLOOR = "import boto3; boto3.client('dynamodb', region_name='eu-west-1')"
# A cold Lambda's first request: import the handler module, answer one event, check the answer.
FIRST_REQUEST = """
import json, sys
import app
answer = app.app(json.loads(sys.argv[1]), None)
assert answer["statusCode"] == int(sys.argv[2]), answer
"""
TRACE_HEADER = "Root=1-6740a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


def package_summary(path: Path) -> tuple[int, list[str]]:
    """The zip's size and which of boto3/botocore it vendors (the runtime brings its own pair)."""
    with zipfile.ZipFile(path) as package:
        top_level = {name.split("/")[0] for name in package.namelist()}
    return path.stat().st_size, sorted(top_level & {"boto3", "botocore"})


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def link_modules(names: Iterable[str], into: Path) -> Path:
    """A directory holding just these installed modules, as a stand-in for a path entry of the runtime."""
    into.mkdir()
    for name in names:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, f"{name} is not installed"
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        (into / source.name).symlink_to(source)
    return into


class ColdStarts:
    """Fresh processes that see only the unzipped package and the runtime's boto3, as a Lambda does."""

    def __init__(self, workdir: Path, endpoint: str, table_name: str):
        # The package as shipped, with the bytecode ``make package`` compiles into it (infra/bytecode.py);
        # and a copy without it, as ``chalice package`` alone would ship it, to show what that saves.
        self.task = workdir / "task"
        self.task_without_bytecode = workdir / "task-without-bytecode"
        with zipfile.ZipFile(PACKAGE) as package:
            package.extractall(self.task)
            package.extractall(self.task_without_bytecode,
                               [name for name in package.namelist() if "__pycache__/" not in name])
        self.runtime = link_modules(RUNTIME_MODULES, workdir / "runtime")
        self.xray = link_modules(XRAY_MODULES, workdir / "xray")
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYTHON"))}
        self.env = {
            **inherited, **stage_environment("prod"), "TABLE_NAME": table_name, "AWS_ENDPOINT_URL": endpoint,
            "LAMBDA_TASK_ROOT": str(self.task), "AWS_LAMBDA_FUNCTION_NAME": "leadtrail-prod",
            "_X_AMZN_TRACE_ID": TRACE_HEADER, "LINK_SECRET": "bench-link-secret",
        }

    def run(self, code: str, *args: str, xray_sdk: bool = False, bytecode: bool = True,
            expect_output: str = "") -> tuple[float, float]:
        """CPU milliseconds (user + system) and wall milliseconds of one process, start to exit."""
        task = self.task if bytecode else self.task_without_bytecode
        path = [task, self.xray, self.runtime] if xray_sdk else [task, self.runtime]
        # Lambda's /var/task is read-only: nothing a process compiles is kept for the next one.
        env = {**self.env, "PYTHONPATH": os.pathsep.join(map(str, path)), "PYTHONDONTWRITEBYTECODE": "1"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-S", "-c", code, *args], cwd=task, env=env,
                              capture_output=True, text=True)
        wall = (time.perf_counter() - began) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0 or expect_output not in done.stdout:
            raise RuntimeError(f"cold start failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
        return cpu, wall


def cold_figures() -> dict[str, tuple[float, float]]:
    """Median CPU and wall milliseconds per case; the cases take turns, so a busy moment hits them all alike."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    table_name = f"bench-cold-{uuid.uuid4().hex[:8]}"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            demo_wiring(boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint), table_name)
        with tempfile.TemporaryDirectory() as workdir:
            cold = ColdStarts(Path(workdir), endpoint, table_name)

            def first(build: Any, status: int, counted: str, **options: bool) -> Any:
                def case() -> tuple[float, float]:
                    request = build(f"cold{uuid.uuid4().hex[:12]}")
                    return cold.run(FIRST_REQUEST, json.dumps(request), str(status), expect_output=counted, **options)
                return case

            cases = {
                "bare": lambda: cold.run("pass"),
                "floor": lambda: cold.run(FLOOR),
                "import": lambda: cold.run("import app"),
                "collect": first(collect_event, 202, '"PageViews"'),
                "pixel": first(pixel_event, 200, '"PageViews"'),
                "form": first(lambda vid: form_event(f"{vid}@firma.dk", vid), 201, '"LeadsCreated"'),
                "collect_xray": first(collect_event, 202, '"PageViews"', xray_sdk=True),
                "collect_no_bytecode": first(collect_event, 202, '"PageViews"', bytecode=False),
            }
            for case in cases.values():  # untimed: brings the files into the page cache, writes nothing
                case()
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
            for _ in range(IMPORT_RUNS):
                for name, case in cases.items():
                    samples[name].append(case())
    finally:
        server.stop()
    return {name: (statistics.median(cpu for cpu, _ in values), statistics.median(wall for _, wall in values))
            for name, values in samples.items()}


def crediting(leads: int = 100_000) -> dict[str, float]:
    """Seconds to credit ``leads`` conversions of four touches each and group them by campaign, per model."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from chalicelib.domain.attribution import Touch
    from chalicelib.domain.credit import MODELS, Conversion, Touchpoint, credit_groups

    converted = datetime(2026, 3, 15, 12, tzinfo=UTC)
    touches = [Touch(channel="paid_search", source="google", medium="cpc", campaign="spring"),
               Touch(channel="email", source="newsletter", medium="email", campaign="march"),
               Touch(channel="direct", source="(direct)", medium="(none)"),
               Touch(channel="paid_social", source="linkedin", medium="paid_social", campaign="spring")]
    conversions = [Conversion([Touchpoint(converted - timedelta(days=(i + k * 7) % 30, hours=k), touches[k])
                               for k in range(4)], converted, Decimal("1000.00")) for i in range(leads)]
    seconds: dict[str, float] = {}
    for model in MODELS:
        began = time.perf_counter()
        credit_groups(conversions, model, "campaign")  # type: ignore[arg-type]  # every name of MODELS
        seconds[model] = time.perf_counter() - began
    return seconds


REPORT_PATHS = ("/reports/funnel?from=2026-03-01&to=2026-03-30&by=campaign",
                "/reports/funnel?from=2026-03-01&to=2026-03-30&by=owner",
                "/reports/roi?from=2026-03-01&to=2026-03-30&by=campaign&model=linear",
                "/reports/roi?from=2026-03-01&to=2026-03-30&by=channel&model=time_decay")


def projected_rows(leads: int) -> dict[Any, dict[str, int]]:
    """The funnel/ROI rows after ``leads`` leads (and three visitors each) went through the projection's rules.

    Leads of 30 days, 6 campaigns, 3 owners, some with two touches, a fifth reaching decision and a tenth won. The
    rules are the consumer's own (``domain.funnel``); leads of one pattern add the same counters, so each pattern is
    computed once and added as often as it occurs, which is what the consumer's ADDs amount to.
    """
    from datetime import UTC, datetime, timedelta
    from functools import cache

    from chalicelib.domain import funnel
    from chalicelib.domain.attribution import Touch
    from chalicelib.domain.credit import Touchpoint
    from chalicelib.domain.funnel import LeadFacts

    stages = ("awareness", "consideration", "decision", "customer")
    campaigns = [Touch("paid_search", "google", "cpc", f"campaign-{k}") for k in range(5)]
    campaigns.append(Touch("email", "newsletter", "email", "newsletter"))

    @cache
    def pattern(day: int, first: int, last: int, reach: int, owner: int, won: bool, referral: bool) -> Any:
        created = datetime(2026, 3, 1 + day, 12, tzinfo=UTC)
        points = [Touchpoint(created - timedelta(days=3), campaigns[first], "/a"),
                  Touchpoint(created - timedelta(hours=1), campaigns[last], "/b")]
        facts = LeadFacts(funnel_iso(created), "referral" if referral else "marketing", campaigns[last], points, "/b")
        state, deltas = funnel.start(facts, stages)
        total: dict[Any, dict[str, int]] = {}
        steps = [funnel.stage_reached(state, "consideration", funnel_iso(created), funnel_iso(created), stages)]
        state = steps[-1][0]
        if reach >= 2:
            state, more = funnel.accepted_by(state, f"sales-{owner}@demo.dk")
            steps.append((state, more))
            steps.append(funnel.stage_reached(state, "decision", funnel_iso(created + timedelta(hours=5)),
                                              funnel_iso(created), stages))
            state = steps[-1][0]
        if won:
            steps.append(funnel.outcome_reported(state, points, "won", "25000.00",
                                                 funnel_iso(created + timedelta(days=9))))
        for deltas_of in [deltas, *(more for _, more in steps)]:
            add_rows(total, deltas_of)
        return total

    rows: dict[Any, dict[str, int]] = {}
    counts: Counter[tuple[Any, ...]] = Counter()
    for index in range(leads):
        counts[(index % 30, index % 6, (index // 6) % 6, 2 if index % 5 == 0 else 1, index % 3, index % 10 == 0,
                index % 13 == 0)] += 1
    for key, times in counts.items():
        add_rows(rows, pattern(*key), times)
    visitor_counts: Counter[tuple[int, int]] = Counter((index % 30, index % 6) for index in range(3 * leads))
    for (day, campaign), times in visitor_counts.items():
        touch = campaigns[campaign]
        groups = funnel.first_landings({"channel": touch.channel, "campaign": touch.campaign, "source": touch.source,
                                        "landing_page": "/a"})
        add_rows(rows, funnel.visitor_deltas(f"2026-03-{1 + day:02d}", groups), times)
    return rows


def funnel_iso(at: Any) -> str:
    from chalicelib.domain.clock import iso

    return iso(at)


def add_rows(into: dict[Any, dict[str, int]], deltas: dict[Any, dict[str, int]], times: int = 1) -> None:
    for row, counters in deltas.items():
        held = into.setdefault(row, {})
        for name, value in counters.items():
            held[name] = held.get(name, 0) + value * times


def report_figures(leads: int, runs: int = 7) -> dict[str, tuple[int, int, float]]:
    """Per report path: (DynamoDB requests, items read, median ms) with the projection after ``leads`` leads."""
    import boto3
    from moto import mock_aws

    from chalicelib.adapters.dynamo import keys

    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        from chalicelib import bootstrap

        bootstrap.use(demo_wiring(client, "bench-journey"))
        from app import app

        rows = projected_rows(leads)
        requests: list[Any] = []
        for row, counters in rows.items():
            pk, sk = keys.funnel_row("demo", row.dim, row.day, row.lead_type, row.group)
            item = {"pk": {"S": pk}, "sk": {"S": sk}, "kind": {"S": "funnel"},
                    **{name: {"N": str(value)} for name, value in counters.items()}}
            requests.append({"PutRequest": {"Item": item}})
        for start in range(0, len(requests), 25):
            client.batch_write_item(RequestItems={"bench-journey": requests[start:start + 25]})
        costs = [{"campaign": f"campaign-{k}", "source": "google", "medium": "cpc", "from": "2026-03-01",
                  "to": "2026-03-30", "amount": 30000} for k in range(5)]
        answer = app(event("PUT", "/admin/costs", "/admin/costs", {"Authorization": "Bearer bench-key",
                                                                    "Content-Type": "application/json"},
                           json.dumps({"currency": "DKK", "rows": costs})), None)
        assert answer["statusCode"] == 200, answer
        calls: Counter[str] = Counter()
        read: list[int] = []
        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
        client.meta.events.register("after-call.dynamodb.Query",
                                    lambda parsed, **_: read.append(int(parsed.get("Count", 0))))
        figures: dict[str, tuple[int, int, float]] = {}
        for path in REPORT_PATHS:
            resource_path, _, query = path.partition("?")
            request = event("GET", resource_path, resource_path, {"Authorization": "Bearer bench-key"})
            request["queryStringParameters"] = dict(part.split("=") for part in query.split("&"))
            request["multiValueQueryStringParameters"] = {k: [v] for k, v in request["queryStringParameters"].items()}
            app(request, None)  # warm: the journey and the key are cached as in a warm Lambda
            took = []
            for _ in range(runs):
                calls.clear()
                read.clear()
                began = time.perf_counter()
                answer = app(request, None)
                took.append((time.perf_counter() - began) * 1000)
                assert answer["statusCode"] == 200, answer
            figures[path] = (sum(calls.values()), sum(read), statistics.median(took))
        bootstrap.use(None)
    return figures


def main() -> None:
    size, vendored = package_summary(PACKAGE)
    with contextlib.redirect_stdout(io.StringIO()):  # EMF metric lines are printed to stdout
        figures = in_process()
    cold = cold_figures()

    def total(calls: dict[str, int]) -> int:
        return sum(calls.values())

    def line(label: str, name: str) -> str:
        cpu, wall = cold[name]
        return f"    {label:<40}{cpu:8.0f} {wall:8.0f}   ratio {cpu / cold['floor'][0]:.2f}x"

    print(f"Leadtrail benchmark ({sys.version.split()[0]}, moto in-process, {figures['pageviews']} page views)")
    print(f"  package out/deployment.zip (MB)           {size / 1e6:8.2f}   "
          f"vendors boto3/botocore: {', '.join(vendored) or 'no'}")
    print(f"  page views/s through the handler          {figures['events_per_s']:8.0f}")
    print(f"  handler latency p50 / p99 (ms)            {figures['handler_p50']:8.2f} / {figures['handler_p99']:.2f}")
    print(f"  bare put_item p50 / p99 (ms)              {figures['put_p50']:8.2f} / {figures['put_p99']:.2f}")
    print(f"  handler / put_item, p50                   {figures['handler_p50'] / figures['put_p50']:8.2f}x")
    print(f"  DynamoDB requests per page view           {total(figures['pageview_calls']) / figures['pageviews']:8.2f}"
          f"   {figures['pageview_calls']}")
    print(f"  page view item size (bytes)               {figures['item_bytes']:8d}")
    print(f"  DynamoDB requests per collect batch (25)  {total(figures['batch_calls']):8d}   {figures['batch_calls']}")
    print(f"  DynamoDB requests per form (new lead + hand-over)  {total(figures['new_form_calls']):3d}"
          f"   {figures['new_form_calls']}")
    print(f"  DynamoDB requests per form (returning)    {total(figures['returning_form_calls']):8d}"
          f"   {figures['returning_form_calls']}")
    print(f"  cold start of the package, median of {IMPORT_RUNS} fresh processes, moto server")
    print("    (ms; ratio = CPU time / the floor's CPU time)    cpu     wall")
    print(line("python alone", "bare"))
    print(line("import boto3 + one client (floor)", "floor"))
    print(line("import app", "import"))
    print(line("import app + first POST /collect", "collect"))
    print(line("import app + first GET /t.gif", "pixel"))
    print(line("import app + first form post", "form"))
    print(line("first POST /collect, X-Ray SDK added", "collect_xray"))
    print(line("first POST /collect, without shipped bytecode", "collect_no_bytecode"))
    print("  reports from the projection: DynamoDB requests, items read, median ms (moto, 7 runs)")
    for leads in (1_000, 100_000):
        with contextlib.redirect_stdout(io.StringIO()):
            reports = report_figures(leads)
        for path, (requests, items, took) in reports.items():
            print(f"    {leads:>7,} leads  {path[9:]:<62}{requests:3d} req {items:5d} items {took:7.1f} ms")
    from benchmarks.cost import report as cost_report

    print("\n".join(cost_report()))
    print("  crediting 100,000 leads of 4 touches, grouped by campaign (s)")
    for model, took in crediting().items():
        print(f"    {model:38s}{took:8.2f}")


if __name__ == "__main__":
    main()
