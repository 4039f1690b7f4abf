"""Settings: a deployed function never signs links with a missing or published secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain.tokens import Keyring
from chalicelib.settings import DEVELOPMENT_LINK_SECRET, Settings, SettingsError

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


# --- Reading the environment ---------------------------------------------------------------------------------


def test_given_an_empty_environment_then_every_setting_has_its_default():
    assert Settings.from_env({}) == Settings(stage="dev", table_name="leadtrail-journey", region="eu-west-1",
                                            demo_site=False, site_cache_seconds=60, state_machine_arn="",
                                            ses_sender="leadtrail@example.com", link_secret=DEVELOPMENT_LINK_SECRET,
                                            link_secret_previous=(), public_url="http://127.0.0.1:8000")


def test_given_every_variable_then_each_lands_in_its_setting():
    settings = Settings.from_env({
        "STAGE": "prod", "TABLE_NAME": "leads-prod", "AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "us-east-1",
        "DEMO_SITE": "true", "SITE_CACHE_SECONDS": "0", "STATE_MACHINE_ARN": "arn:aws:states:x",
        "SES_SENDER": "salg@nordlys.dk", "LINK_SECRET": "s3", "LINK_SECRET_PREVIOUS": "s2,s1",
        "PUBLIC_URL": "https://api.nordlys.dk",
    })

    assert settings == Settings(stage="prod", table_name="leads-prod", region="eu-north-1", demo_site=True,
                                site_cache_seconds=0, state_machine_arn="arn:aws:states:x",
                                ses_sender="salg@nordlys.dk", link_secret="s3", link_secret_previous=("s2", "s1"),
                                public_url="https://api.nordlys.dk")


def test_given_only_the_default_region_variable_then_it_is_the_region():
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-central-1"}).region == "eu-central-1"


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("TRUE", True), (" yes ", True), ("on", True),
    ("", False), ("0", False), ("false", False), ("No", False), ("off", False),
])
def test_demo_site_reads_yes_and_no_in_their_usual_spellings(value: str, expected: bool):
    assert Settings.from_env({"DEMO_SITE": value}).demo_site is expected


@pytest.mark.parametrize("value", ["ja", "2", "enabled", "truthy"])
def test_demo_site_refuses_anything_else_and_names_the_variable_and_value(value: str):
    with pytest.raises(SettingsError, match=f"DEMO_SITE must be one of .* not '{value}'"):
        Settings.from_env({"DEMO_SITE": value})


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("60", 60), (" 300 ", 300), ("", 60)])
def test_site_cache_seconds_is_a_whole_number_of_seconds_or_the_default_when_empty(value: str, expected: int):
    assert Settings.from_env({"SITE_CACHE_SECONDS": value}).site_cache_seconds == expected


@pytest.mark.parametrize("value", ["-1", "1.5", "abc", "60s", "٣"])
def test_site_cache_seconds_refuses_anything_else_and_names_the_variable_and_value(value: str):
    with pytest.raises(SettingsError, match=f"SITE_CACHE_SECONDS must be a whole number of seconds, 0 or more, "
                                            f"not '{value}'"):
        Settings.from_env({"SITE_CACHE_SECONDS": value})


def test_every_bad_value_is_named_in_one_error():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DEMO_SITE": "maybe", "SITE_CACHE_SECONDS": "-5"})

    assert "DEMO_SITE" in str(caught.value) and "'maybe'" in str(caught.value)
    assert "SITE_CACHE_SECONDS" in str(caught.value) and "'-5'" in str(caught.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("", ()), ("old", ("old",)), ("old,older", ("old", "older")), (" old , ,older ,", ("old", "older")), (",", ()),
])
def test_previous_link_secrets_are_a_comma_list_without_blanks(value: str, expected: tuple[str, ...]):
    assert Settings.from_env({"LINK_SECRET_PREVIOUS": value}).link_secret_previous == expected


@pytest.mark.parametrize("seconds", [-1, True, "60"])
def test_settings_built_in_code_refuse_a_cache_time_that_is_not_whole_seconds(seconds: object):
    with pytest.raises(SettingsError, match="site_cache_seconds must be a whole number"):
        Settings(site_cache_seconds=seconds)  # type: ignore[arg-type]


def test_settings_are_frozen_and_a_copy_with_changes_is_checked_again():
    settings = Settings(stage="test", link_secret="one")

    with pytest.raises(AttributeError):
        settings.link_secret = "two"  # type: ignore[misc]
    assert settings.model_copy(update={"link_secret": "two"}).link_secret == "two"
    with pytest.raises(SettingsError):
        settings.model_copy(update={"site_cache_seconds": -1})


def test_given_a_bad_value_in_a_deployed_function_when_it_starts_then_the_error_names_it():
    started = _run(AWS_LAMBDA_FUNCTION_NAME="leadtrail-prod-APIHandler", STAGE="prod", LINK_SECRET="from-secrets",
                   SITE_CACHE_SECONDS="a minute")
    assert started.returncode == 1
    assert started.stderr.strip().splitlines()[-1] == (
        "chalicelib.settings.SettingsError: SITE_CACHE_SECONDS must be a whole number of seconds, 0 or more, "
        "not 'a minute'")
