"""Typed settings from environment variables; each stage fills them in `.chalice/config.json`."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, model_validator

if TYPE_CHECKING:
    from chalicelib.domain.tokens import Keyring

# Only where nothing real is signed: unit and integration tests, `chalice package`, the local stack.
DEVELOPMENT_STAGES = ("local", "test", "dev")
DEVELOPMENT_LINK_SECRET = "local-development-link-secret"


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
    # Signs links (accept/decline now); set from Secrets Manager by the template. Empty: not configured.
    link_secret: str = ""
    # Secrets rotated out that still read the links they signed, until those expire.
    link_secret_previous: tuple[str, ...] = ()
    # Where signed links point: the public base URL of this API.
    public_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _development_secret(self) -> Settings:
        if not self.link_secret and self.stage in DEVELOPMENT_STAGES:
            self.link_secret = DEVELOPMENT_LINK_SECRET
        return self

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        stage = env.get("STAGE", "dev")
        deployed = bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) and stage != "local"
        if deployed and env.get("LINK_SECRET", "") in ("", DEVELOPMENT_LINK_SECRET):
            # A deployed function must not sign with no secret, or with the one printed in this repository.
            from chalicelib.observability import logger

            logger.critical(f"LINK_SECRET is not set: stage {stage!r} refuses to start without it")
            raise SystemExit(1)
        return cls(
            stage=stage,
            table_name=env.get("TABLE_NAME", "leadtrail-journey"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1",
            demo_site=env.get("DEMO_SITE", "").lower() in ("1", "true", "yes"),
            site_cache_seconds=int(env.get("SITE_CACHE_SECONDS", "60")),
            state_machine_arn=env.get("STATE_MACHINE_ARN", ""),
            ses_sender=env.get("SES_SENDER", "leadtrail@example.com"),
            link_secret=env.get("LINK_SECRET", ""),
            link_secret_previous=tuple(
                secret.strip() for secret in env.get("LINK_SECRET_PREVIOUS", "").split(",") if secret.strip()
            ),
            public_url=env.get("PUBLIC_URL", "http://127.0.0.1:8000"),
        )

    def link_keyring(self) -> Keyring:
        """The keys that sign and read links: LINK_SECRET signs, LINK_SECRET_PREVIOUS still read."""
        from chalicelib.domain.tokens import Keyring

        if not self.link_secret:
            raise RuntimeError(f"LINK_SECRET is not set: stage {self.stage!r} cannot sign or read links")
        return Keyring.from_secrets(self.link_secret, self.link_secret_previous)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
