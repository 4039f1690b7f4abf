"""One place for logs, metrics and traces (Powertools), shared by every handler.

The X-Ray SDK behind Powertools' Tracer costs about as much to import as boto3 itself, so the
tracer is built on the first traced call, not at import: importing the app stays cheap and tests
that never trace never pay for it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

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


def tracer() -> Tracer:
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service=SERVICE)
    return _tracer


def traced(function: F) -> F:
    """``Tracer.capture_method``, applied when the function first runs."""
    captured: list[Callable[..., Any]] = []

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not captured:
            captured.append(tracer().capture_method(function))
        return captured[0](*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@contextmanager
def handler_segment(name: str, **annotations: str) -> Iterator[None]:
    """A subsegment around one handler call, annotated so traces can be filtered by route."""
    with tracer().provider.in_subsegment(f"## {name}") as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key=key, value=value)
        yield


def seconds(name: str, value: float) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=value)


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Count something; a metric with its own dimensions (a reason) is emitted on its own."""
    if value <= 0:
        return
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)
