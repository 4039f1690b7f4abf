"""Typed settings from environment variables; each stage fills them in `.chalice/config.json`.

A frozen dataclass with its own parsing rather than a pydantic model: every cold start reads the settings,
and the capture path does not otherwise load pydantic's model layer. A value that cannot be read stops
the start with an error naming the variable and the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.tokens import Keyring

# Only where nothing real is signed: unit and integration tests, `chalice package`, the local stack.
DEVELOPMENT_STAGES = ("local", "test", "dev")
DEVELOPMENT_LINK_SECRET = "local-development-link-secret"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class SettingsError(ValueError):
    """An environment variable holds a value the settings cannot take; the message names each one."""


@dataclass(frozen=True)
class Settings:
    stage: str = "dev"
    table_name: str = "leadtrail-journey"
    region: str = "eu-west-1"
    # Served only by the local stack: the demo website under /demo.
    demo_site: bool = False
    # How long a Lambda keeps a site's settings before reading them again (the hot path stays read-free).
    site_cache_seconds: int = 60
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

    def __post_init__(self) -> None:
        seconds = self.site_cache_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise SettingsError(f"site_cache_seconds must be a whole number, 0 or more, not {seconds!r}")
        if not self.link_secret and self.stage in DEVELOPMENT_STAGES:
            object.__setattr__(self, "link_secret", DEVELOPMENT_LINK_SECRET)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from the environment (``os.environ`` unless given); a bad value raises SettingsError."""
        env = os.environ if env is None else env
        stage = env.get("STAGE", "dev")
        deployed = bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) and stage != "local"
        if deployed and env.get("LINK_SECRET", "") in ("", DEVELOPMENT_LINK_SECRET):
            # A deployed function must not sign with no secret, or with the one printed in this repository.
            from chalicelib.observability import logger

            logger.critical(f"LINK_SECRET is not set: stage {stage!r} refuses to start without it")
            raise SystemExit(1)
        problems: list[str] = []
        demo_site = _flag(env, "DEMO_SITE", problems)
        site_cache_seconds = _seconds(env, "SITE_CACHE_SECONDS", 60, problems)
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(
            stage=stage,
            table_name=env.get("TABLE_NAME", "leadtrail-journey"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1",
            demo_site=demo_site,
            site_cache_seconds=site_cache_seconds,
            state_machine_arn=env.get("STATE_MACHINE_ARN", ""),
            ses_sender=env.get("SES_SENDER", "leadtrail@example.com"),
            link_secret=env.get("LINK_SECRET", ""),
            link_secret_previous=_secrets(env.get("LINK_SECRET_PREVIOUS", "")),
            public_url=env.get("PUBLIC_URL", "http://127.0.0.1:8000"),
        )

    def model_copy(self, *, update: Mapping[str, Any]) -> Settings:
        """A copy with some values changed, checked as a new one is (the name callers know from pydantic)."""
        return replace(self, **update)

    def link_keyring(self) -> Keyring:
        """The keys that sign and read links: LINK_SECRET signs, LINK_SECRET_PREVIOUS still read."""
        from chalicelib.domain.tokens import Keyring

        if not self.link_secret:
            raise RuntimeError(f"LINK_SECRET is not set: stage {self.stage!r} cannot sign or read links")
        return Keyring.from_secrets(self.link_secret, self.link_secret_previous)


def _flag(env: Mapping[str, str], name: str, problems: list[str]) -> bool:
    value = env.get(name, "")
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() not in _FALSE:
        problems.append(f"{name} must be one of {', '.join(_TRUE + _FALSE[1:])} (or empty), not {value!r}")
    return False


def _seconds(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    value = env.get(name, "")
    text = value.strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit():
        problems.append(f"{name} must be a whole number of seconds, 0 or more, not {value!r}")
        return default
    return int(text)


def _secrets(value: str) -> tuple[str, ...]:
    """A comma-separated list; blanks around each secret and empty entries are left out."""
    return tuple(secret.strip() for secret in value.split(",") if secret.strip())


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
