"""The reseller scorecard (``GET /reports/resellers``): per reseller, from the rows the change stream keeps."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.resellers import Reseller, scorecard
from chalicelib.errors import InvalidInput
from chalicelib.services.reseller_ports import ResellerLedger

COLUMNS = ("reseller_id", "name", "leads_received", "accepted_in_sla", "accepted_late", "declined", "reassigned",
           "gaps", "open", "contacted", "time_to_accept_p50", "time_to_accept_p90", "won", "lost", "disqualified",
           "revenue", "win_rate", "won_per_lead", "registered", "unmatched_sales")


class ResellerReport:
    def __init__(self, ledger: ResellerLedger, resellers: Callable[[str], list[Reseller]],
                 days: Callable[[str | None, str | None], tuple[str, str]]):
        self.ledger = ledger
        self.resellers = resellers
        self.days = days

    def scorecard(self, tenant_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Leads received, accepted in SLA and late, declined, gaps, contacted, time to accept (p50/p90), won,
        revenue, win rate and unmatched sales, per reseller, for the hand-overs started in the range."""
        unknown = sorted(set(params) - {"from", "to"})
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}; use from and to", field=unknown[0])
        from_day, to_day = self.days(params.get("from"), params.get("to"))
        names = {reseller.reseller_id: reseller.name for reseller in self.resellers(tenant_id)}
        return {"from": from_day, "to": to_day,
                **scorecard(self.ledger.stats_rows(tenant_id, from_day, to_day), names)}


def scorecard_csv(report: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in [{"reseller_id": "(total)", **report["total"]}, *report["resellers"]]:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in COLUMNS])
    return out.getvalue()
