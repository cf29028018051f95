"""Settings and catalogue shipped in deploy/: known names, sensible values, consistent topics."""

from __future__ import annotations

import ipaddress
import re
import secrets
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from deploy_support import (
    DEPLOY,
    DEPLOYED_SETTINGS,
    DOCS,
    KNOWN_SETTINGS,
    KUBERNETES,
    load_yaml_documents,
    need_module,
    read_env_file,
)

SETTING_NAME = re.compile(r"VARSEL_[A-Z0-9_]*[A-Z0-9]")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
INTERVAL = re.compile(r"(\d+)(s|m|h)")
SMTP_SCHEMES = {"smtp", "smtps", "smtp+starttls"}


def _files_that_may_name_settings() -> list[Path]:
    files = [p for p in DEPLOY.rglob("*") if p.is_file()]
    return [*files, DOCS] if DOCS.exists() else files


def test_every_varsel_setting_named_anywhere_is_a_known_one() -> None:
    unknown: dict[str, set[str]] = {}
    for path in _files_that_may_name_settings():
        for name in SETTING_NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            if name not in KNOWN_SETTINGS:
                unknown.setdefault(name, set()).add(str(path.relative_to(DEPLOY.parent)))
    assert unknown == {}


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return value != "0.0.0.0/0" and value != "::/0"


def _problems(settings: dict[str, str], *, production: bool) -> list[str]:
    """What is wrong with a set of VARSEL_ values (only the names present are checked)."""
    problems: list[str] = []

    def check(name: str, ok: bool) -> None:
        if name in settings and not ok:
            problems.append(f"{name}={settings[name]!r}")

    value = settings.get
    check("VARSEL_ENVIRONMENT", value("VARSEL_ENVIRONMENT") in {"development", "production"})
    check("VARSEL_LOG_FORMAT", value("VARSEL_LOG_FORMAT") in {"json", "text"})
    check("VARSEL_TIMEZONE", value("VARSEL_TIMEZONE", "") in zoneinfo.available_timezones())
    check(
        "VARSEL_DATABASE_URL",
        value("VARSEL_DATABASE_URL", "").startswith("postgresql+asyncpg://"),
    )
    check("VARSEL_BROKER_URL", urlsplit(value("VARSEL_BROKER_URL", "")).scheme in {"amqp", "amqps"})
    check("VARSEL_SMTP_URL", urlsplit(value("VARSEL_SMTP_URL", "")).scheme in SMTP_SCHEMES)
    check("VARSEL_CONFIG", value("VARSEL_CONFIG", "").endswith(".toml"))
    check("VARSEL_MAIL_FROM", "@" in value("VARSEL_MAIL_FROM", ""))
    operators = value("VARSEL_OPERATOR_EMAILS", "").split(",")
    check("VARSEL_OPERATOR_EMAILS", all("@" in o for o in operators if o.strip()))
    proxies = [p.strip() for p in value("VARSEL_TRUSTED_PROXIES", "").split(",") if p.strip()]
    check("VARSEL_TRUSTED_PROXIES", bool(proxies) and all(_is_network(p) for p in proxies))
    base = urlsplit(value("VARSEL_BASE_URL", ""))
    allowed = {"https"} if production else {"https", "http"}
    check("VARSEL_BASE_URL", base.scheme in allowed and bool(base.netloc))
    return problems


def test_compose_example_settings_are_valid() -> None:
    settings = read_env_file(DEPLOY / "varsel.env.example")
    assert set(settings) <= KNOWN_SETTINGS
    assert _problems(settings, production=False) == []
    # Database and broker URLs are composed in compose.yaml from the passwords, not set here.
    assert "VARSEL_DATABASE_URL" not in settings and "VARSEL_BROKER_URL" not in settings


def test_kubernetes_settings_and_secret_cover_what_distributed_mode_needs() -> None:
    settings = read_env_file(KUBERNETES / "settings.env")
    (secret,) = load_yaml_documents(KUBERNETES / "secret.example.yaml")
    secrets: dict[str, str] = secret["stringData"]
    assert not set(settings) & set(secrets), "a setting must live in one place"
    combined = {**settings, **secrets}
    assert set(combined) == DEPLOYED_SETTINGS
    assert combined["VARSEL_ENVIRONMENT"] == "production"
    assert _problems(combined, production=True) == []
    # Credentials belong in the Secret, never in the ConfigMap.
    for name in (
        "VARSEL_SECRET_KEY",
        "VARSEL_DATABASE_URL",
        "VARSEL_BROKER_URL",
        "VARSEL_SMTP_URL",
    ):
        assert name in secrets


def test_example_secrets_are_recognisably_examples() -> None:
    (secret,) = load_yaml_documents(KUBERNETES / "secret.example.yaml")
    for name, value in secret["stringData"].items():
        assert "change-me" in value, f"{name} does not look like an example value"
    assert read_env_file(DEPLOY / "varsel.env.example")["VARSEL_SECRET_KEY"] == "change-me"


def _settings(values: dict[str, str]) -> Any:
    """Build the application's own Settings from VARSEL_ values (init values beat the env)."""
    settings_module = need_module("shared.settings", "varsel (pip install -e .)")
    fields = {name.removeprefix("VARSEL_").lower(): value for name, value in values.items()}
    return settings_module.Settings(**fields)


def test_every_known_setting_is_a_field_of_the_application_settings() -> None:
    settings_module = need_module("shared.settings", "varsel (pip install -e .)")
    fields = set(settings_module.Settings.model_fields)
    assert {name.removeprefix("VARSEL_").lower() for name in KNOWN_SETTINGS} <= fields


def test_the_application_accepts_the_compose_example_settings(compose: dict[str, Any]) -> None:
    values = read_env_file(DEPLOY / "varsel.env.example")
    values.update(compose["services"]["subscriptions"]["environment"])
    settings = _settings(values)
    assert settings.environment == "development"


def test_the_application_refuses_the_kubernetes_example_secret_in_production() -> None:
    """What secret.example.yaml promises: its placeholder key cannot go live."""
    pydantic = need_module("pydantic", "pydantic")
    values = read_env_file(KUBERNETES / "settings.env")
    (secret,) = load_yaml_documents(KUBERNETES / "secret.example.yaml")
    values.update(secret["stringData"])
    with pytest.raises(pydantic.ValidationError, match="VARSEL_SECRET_KEY"):
        _settings(values)
    values["VARSEL_SECRET_KEY"] = secrets.token_urlsafe(48)
    assert _settings(values).environment == "production"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    with (DEPLOY / "varsel.example.toml").open("rb") as stream:
        return tomllib.load(stream)


def test_catalogue_topics_are_well_formed(catalogue: dict[str, Any]) -> None:
    topics = catalogue["topics"]
    slugs = [t["slug"] for t in topics]
    assert len(slugs) == len(set(slugs)), "duplicate topic slug"
    for topic in topics:
        assert SLUG.fullmatch(topic["slug"]), topic["slug"]
        assert topic["title"]["nb"].strip() and topic["title"]["en"].strip()
        assert urlsplit(topic["page"]).scheme == "https"
        for related in topic.get("related", []):
            assert related in slugs and related != topic["slug"], (topic["slug"], related)


def test_catalogue_sources_refer_to_existing_topics(catalogue: dict[str, Any]) -> None:
    slugs = {t["slug"] for t in catalogue["topics"]}
    urls = [s["url"] for s in catalogue["sources"]]
    assert len(urls) == len(set(urls)), "the same source is listed twice"
    for source in catalogue["sources"]:
        assert urlsplit(source["url"]).scheme == "https", source["url"]
        assert source["kind"] in {"page", "feed", "pdf"}
        assert source["topics"] and set(source["topics"]) <= slugs, source["url"]
        match = INTERVAL.fullmatch(source["interval"])
        assert match, source["interval"]
        seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]
        assert 30 <= seconds <= 24 * 3600, source["interval"]
    covered = {topic for source in catalogue["sources"] for topic in source["topics"]}
    assert covered == slugs, f"topics no source feeds: {slugs - covered}"
    assert {s["kind"] for s in catalogue["sources"]} == {"page", "feed", "pdf"}


def test_the_application_loads_the_example_catalogue(catalogue: dict[str, Any]) -> None:
    loader = need_module("shared.catalogue_file", "varsel (pip install -e .)")
    loaded = loader.load_catalogue(DEPLOY / "varsel.example.toml")
    assert len(loaded.topics) == len(catalogue["topics"])
    assert len(loaded.sources) == len(catalogue["sources"])


def test_deployment_guide_mentions_only_files_that_exist() -> None:
    if not DOCS.exists():
        pytest.fail("docs/deployment.md is missing")
    text = DOCS.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bdeploy/[\w./-]*\w", text))
    assert mentioned
    # Files the operator creates; they must be kept out of git.
    created_by_operator = {"deploy/varsel.env", "deploy/.env"}
    ignored = set((DEPLOY / ".gitignore").read_text().split())
    for path in mentioned:
        if path in created_by_operator:
            assert path.removeprefix("deploy/") in ignored, f"{path} is not git-ignored"
            continue
        assert (DEPLOY.parent / path).exists(), f"docs/deployment.md mentions missing {path}"
