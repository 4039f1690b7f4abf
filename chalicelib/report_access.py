"""Who may read funnel and ROI: the tenant's admin key sees everything, an agency's report key its campaigns."""

from __future__ import annotations

from dataclasses import dataclass

from chalice.app import Request

from chalicelib.errors import Unauthorized
from chalicelib.http import header


@dataclass(frozen=True)
class ReportAccess:
    tenant_id: str
    # None: every campaign (the admin key); otherwise only these (a report key), and no personal data.
    campaigns: frozenset[str] | None


def report_access(request: Request) -> ReportAccess:
    """The tenant and the campaigns a request may read; ``Unauthorized`` for anything but an admin or report key."""
    from chalicelib.bootstrap import container
    from chalicelib.services.report_keys import tenant_of_report_key

    authorization = header(request, "authorization")
    try:
        return ReportAccess(container().tenancy.tenant_for(authorization), None)
    except Unauthorized:
        scheme, _, key = (authorization or "").strip().partition(" ")
        stored = tenant_of_report_key(container().report_access_store, key.strip()) if scheme.lower() == "bearer" \
            else None
        if stored is None:
            raise
        return ReportAccess(stored.tenant_id, frozenset(stored.campaigns))
