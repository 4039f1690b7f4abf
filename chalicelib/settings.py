"""Typed settings from environment variables; each stage fills them in `.chalice/config.json`."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    stage: str = "dev"
    table_name: str = "leadtrail-journey"
    region: str = "eu-west-1"
    # Served only by the local stack: the demo website under /demo.
    demo_site: bool = False
    # How long a Lambda keeps a site's settings before reading them again (the hot path stays read-free).
    site_cache_seconds: int = Field(default=60, ge=0)
    # The Step Functions state machine that drives hand-over ladders (empty: no timers, e.g. in tests).
    state_machine_arn: str = ""
    # Sender of hand-over e-mails (an SES-verified identity).
    ses_sender: str = "leadtrail@example.com"
    # Secret for signed accept/decline links; set from Secrets Manager by the template.
    link_secret: str = "local-development-link-secret"
    # Where signed links point: the public base URL of this API.
    public_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            stage=env.get("STAGE", "dev"),
            table_name=env.get("TABLE_NAME", "leadtrail-journey"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1",
            demo_site=env.get("DEMO_SITE", "").lower() in ("1", "true", "yes"),
            site_cache_seconds=int(env.get("SITE_CACHE_SECONDS", "60")),
            state_machine_arn=env.get("STATE_MACHINE_ARN", ""),
            ses_sender=env.get("SES_SENDER", "leadtrail@example.com"),
            link_secret=env.get("LINK_SECRET", "local-development-link-secret"),
            public_url=env.get("PUBLIC_URL", "http://127.0.0.1:8000"),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
