"""Settings: a deployed function never signs links with a missing or published secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain.tokens import Keyring
from chalicelib.settings import DEVELOPMENT_LINK_SECRET, Settings

ROOT = Path(__file__).resolve().parents[2]
READ_SETTINGS = "from chalicelib.settings import settings; print(settings().link_secret)"


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items()
             if name not in ("LINK_SECRET", "LINK_SECRET_PREVIOUS", "STAGE", "AWS_LAMBDA_FUNCTION_NAME")}
    return subprocess.run([sys.executable, "-c", READ_SETTINGS], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("secret", [None, "", DEVELOPMENT_LINK_SECRET])
def test_given_a_deployed_function_without_its_link_secret_when_it_starts_then_it_stops_with_one_clear_line(
        secret: str | None):
    env = {"AWS_LAMBDA_FUNCTION_NAME": "leadtrail-prod-APIHandler", "STAGE": "prod"}
    started = _run(**env, **({"LINK_SECRET": secret} if secret is not None else {}))
    assert started.returncode == 1
    lines = [line for line in (started.stdout + started.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert json.loads(lines[0])["message"] == "LINK_SECRET is not set: stage 'prod' refuses to start without it"


def test_given_a_deployed_function_with_its_link_secret_when_it_starts_then_it_signs_with_it():
    started = _run(AWS_LAMBDA_FUNCTION_NAME="leadtrail-dev-APIHandler", STAGE="dev", LINK_SECRET="from-secrets")
    assert (started.returncode, started.stdout.strip()) == (0, "from-secrets")


def test_given_the_local_stage_in_a_function_when_it_starts_then_the_development_secret_is_allowed():
    started = _run(AWS_LAMBDA_FUNCTION_NAME="leadtrail-local-APIHandler", STAGE="local")
    assert (started.returncode, started.stdout.strip()) == (0, DEVELOPMENT_LINK_SECRET)


def test_given_chalice_package_for_prod_outside_lambda_when_settings_are_read_then_nothing_stops():
    started = _run(STAGE="prod")
    assert (started.returncode, started.stdout.strip()) == (0, "")


def test_given_prod_settings_without_a_secret_when_links_are_needed_then_the_error_names_link_secret():
    with pytest.raises(RuntimeError, match="LINK_SECRET"):
        Settings(stage="prod").link_keyring()


@pytest.mark.parametrize("stage", ["local", "test", "dev"])
def test_given_a_development_stage_without_a_secret_then_the_development_secret_signs(stage: str):
    keyring = Settings(stage=stage).link_keyring()
    assert keyring.current == Keyring.from_secrets(DEVELOPMENT_LINK_SECRET).current


def test_given_previous_secrets_in_the_environment_then_they_still_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("LINK_SECRET", "new-secret")
    monkeypatch.setenv("LINK_SECRET_PREVIOUS", " old-secret , ,older-secret")
    settings = Settings.from_env()
    assert settings.link_secret_previous == ("old-secret", "older-secret")
    keyring = settings.link_keyring()
    assert keyring.current == Keyring.from_secrets("new-secret").current
    assert keyring.previous == Keyring.from_secrets("x", ["old-secret", "older-secret"]).previous
