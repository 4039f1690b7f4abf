"""Admin actions on hand-overs."""

from __future__ import annotations

from chalice import Blueprint

handover_admin_api = Blueprint(__name__)
