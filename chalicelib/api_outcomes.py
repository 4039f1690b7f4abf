"""Outcomes: how a lead ended (won, lost, disqualified), reported by people and by CRMs."""

from __future__ import annotations

from chalice import Blueprint

outcomes_api = Blueprint(__name__)
