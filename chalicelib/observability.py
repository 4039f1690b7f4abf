"""One place for logs, metrics and traces (Powertools), shared by every handler.

Traces come from Lambda active tracing (``"xray": true``): every invocation gets its segment
without any SDK in the package. Subsegments per handler and per service call need the X-Ray SDK,
which the package does not ship: it pulls in its own botocore, which would then run beside the
runtime's boto3 and cost about as much to import as boto3 itself on the first request. Where the
SDK is installed and tracing is not disabled, ``traced`` and ``handler_segment`` use Powertools'
Tracer, built on the first traced call; otherwise they cost nothing and import nothing.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "leadtrail"
NAMESPACE = "Leadtrail"

# A request that counted nothing (a health check) is normal, not worth a warning per request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

_tracer: Tracer | None = None
F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def tracing_enabled() -> bool:
    """Subsegments only when the X-Ray SDK is installed and tracing is not switched off."""
    if resolve_truthy_env_var_choice(env=os.environ.get("POWERTOOLS_TRACE_DISABLED", "false")):
        return False
    return importlib.util.find_spec("aws_xray_sdk") is not None


def tracer() -> Tracer:
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service=SERVICE)
    return _tracer


def traced(function: F) -> F:
    """``Tracer.capture_method`` when tracing is enabled, decided when the function first runs."""
    chosen: list[Callable[..., Any]] = []

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not chosen:
            chosen.append(tracer().capture_method(function) if tracing_enabled() else function)
        return chosen[0](*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@contextmanager
def handler_segment(name: str, **annotations: str) -> Iterator[None]:
    """A subsegment around one handler call, annotated so traces can be filtered by route."""
    if not tracing_enabled():
        yield
        return
    with tracer().provider.in_subsegment(f"## {name}") as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key=key, value=value)
        yield


def _metrics_disabled() -> bool:
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


def seconds(name: str, value: float) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=value)


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Count something; a metric with its own dimensions (a reason) is emitted on its own."""
    if value <= 0:
        return
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    if _metrics_disabled():  # Powertools' switch silences ``metrics`` but not ``single_metric``
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)
