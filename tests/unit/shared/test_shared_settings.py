"""Settings are validated at start-up; production refuses unsafe values."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotated_types import Le
from pydantic import ValidationError
from typer.testing import CliRunner

from shared.settings import DEV_SECRET, MAX_DAYS, Settings
from varsel.cli import app as cli


def test_defaults_run_the_embedded_mode() -> None:
    settings = Settings()
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.smtp_url == ""
    assert settings.catalogue_path.name == "default_catalogue.toml"


@pytest.mark.parametrize("secret", [DEV_SECRET, "changeme", "change-me", "short-but-real"])
def test_production_refuses_placeholder_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="VARSEL_SECRET_KEY"):
        Settings(environment="production", secret_key=secret, base_url="https://varsel.example.no")


def test_an_address_written_in_capitals_is_kept_with_its_scheme_in_lower_case() -> None:
    # Whatever reads the address after (the Secure cookie flag, production's https rule) then
    # sees the https it is.
    settings = Settings(base_url="HTTPS://Varsel.example.no/", environment="production",
                        secret_key="x" * 40)  # fmt: skip
    assert settings.base_url == "https://Varsel.example.no"


def test_production_needs_https() -> None:
    with pytest.raises(ValidationError, match="https"):
        Settings(environment="production", secret_key="x" * 40, base_url="http://varsel.example.no")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_url", "varsel.example.no"),
        ("timezone", "Europe/Atlantis"),
        ("link_ttl_days", 30),
        ("broker_namespace", "Has Spaces"),
        ("catalogue_check_seconds", 0),
        ("catalogue_check_seconds", 3600),
        ("publisher_pushes_per_hour", 0),
        ("publisher_pushes_per_hour", "many"),
        ("publisher_key_retention_days", 0),
        ("publisher_key_retention_days", 3651),
    ],
)
def test_wrong_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})


SECONDS_IN: dict[str, int] = {"days": 86_400, "minutes": 60, "seconds": 1}


@pytest.mark.parametrize(
    "field",
    [
        *(name for name in Settings.model_fields if name.rpartition("_")[2] in SECONDS_IN),
        "review_reminder_after",
    ],
)
def test_every_period_has_an_upper_bound_of_at_most_a_hundred_years(field: str) -> None:
    # Unbounded, 740,000 days started, and then `now - timedelta(days=740000)` fell before
    # year 1: the hourly housekeeping logged the same OverflowError every hour.
    highest = [bound.le for bound in Settings.model_fields[field].metadata if isinstance(bound, Le)]
    unit = SECONDS_IN.get(field.rpartition("_")[2], 1)
    assert highest and highest[0] * unit <= MAX_DAYS * 86_400, field


def test_the_publisher_api_limits_are_read_and_a_bad_one_names_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (Settings().publisher_pushes_per_hour, Settings().publisher_key_retention_days) == (
        1000,
        30,
    )
    monkeypatch.setenv("VARSEL_PUBLISHER_PUSHES_PER_HOUR", "50")
    monkeypatch.setenv("VARSEL_PUBLISHER_KEY_RETENTION_DAYS", "7")
    assert (Settings().publisher_pushes_per_hour, Settings().publisher_key_retention_days) == (
        50,
        7,
    )
    monkeypatch.setenv("VARSEL_PUBLISHER_PUSHES_PER_HOUR", "-1")
    with pytest.raises(ValidationError, match="publisher_pushes_per_hour"):
        Settings()


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VARSEL_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("VARSEL_BASE_URL", "https://varsel.example.no/")
    settings = Settings()
    assert settings.smtp_url == "smtp://127.0.0.1:2525"
    assert settings.base_url == "https://varsel.example.no"


def test_trusted_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == ()
    monkeypatch.setenv("VARSEL_TRUSTED_PROXIES", " 10.0.0.0/8, 192.0.2.7 ,fd00::/8,")
    assert Settings().trusted_proxies == ("10.0.0.0/8", "192.0.2.7", "fd00::/8")


@pytest.mark.parametrize("name", ["VARSEL_TRUSTED_PROXIES", "VARSEL_METRICS_NETWORKS"])
@pytest.mark.parametrize("value", ["*", "proxy.example.no", "10.0.0.1/8", "300.1.1.1"])
def test_trusted_proxies_refuse_anything_else(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings()


def test_embed_origins_are_written_as_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().embed_origins == ()
    monkeypatch.setenv(
        "VARSEL_EMBED_ORIGINS", " https://www.FHI.no/, http://localhost:8900,https://[::1]:8443"
    )
    assert Settings().embed_origins == (
        "https://www.fhi.no",
        "http://localhost:8900",
        "https://[::1]:8443",
    )


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "www.fhi.no",
        "https://www.fhi.no/nyheter",
        "https://*.fhi.no",
        "https://www.fhi.no?x=1",
        "ftp://www.fhi.no",
        "https://user@www.fhi.no",
        "https://www.fhi.no:99999",
        "https://www.fhi.no; script-src *",
        "'self'",
    ],
)
def test_embed_origins_refuse_anything_else(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VARSEL_EMBED_ORIGINS", value)
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()


def test_api_clients_are_plain_names(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().api_clients == ()
    monkeypatch.setenv("VARSEL_API_CLIENTS", "fhi-app, kommune.cms ,")
    assert Settings().api_clients == ("fhi-app", "kommune.cms")
    for bad in ("=HYPERLINK(1)", "to ord", "-lead", "x" * 65):
        monkeypatch.setenv("VARSEL_API_CLIENTS", bad)
        with pytest.raises(ValidationError, match="client names"):
            Settings()


def test_body_limits_are_small_for_the_public_and_larger_for_staff() -> None:
    settings = Settings()
    assert settings.max_body_bytes == 64 * 1024
    assert settings.max_staff_body_bytes == 1024 * 1024
    with pytest.raises(ValidationError):
        Settings(max_body_bytes=10)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bounce_address": "bounces+x@example.no"}, "without '\\+'"),
        ({"bounce_address": "not an address"}, "plain mailbox"),
        ({"bounce_smtp_port": 2525}, "VARSEL_BOUNCE_ADDRESS"),
        ({"bounce_webhook_secret": "s" * 40}, "VARSEL_BOUNCE_ADDRESS"),
        ({"bounce_address": "bounces@example.no", "bounce_webhook_secret": "short"}, "32"),
    ],
)
def test_the_bounce_intake_is_refused_half_configured(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)  # type: ignore[arg-type]


def test_the_bounce_intake_is_off_unless_configured() -> None:
    settings = Settings()
    assert (settings.bounce_address, settings.bounce_smtp_port, settings.bounce_webhook_secret) == (
        "",
        None,
        "",
    )


@pytest.mark.parametrize(
    "url",
    ["varsel.db", "postgresql://varsel:hunter2@db/varsel", "mysql://varsel:hunter2@db/varsel"],
)
def test_a_database_url_without_a_driver_varsel_uses_is_refused_without_echoing_it(
    url: str,
) -> None:
    with pytest.raises(ValidationError, match="postgresql\\+asyncpg://") as refused:
        Settings(database_url=url)
    assert "hunter2" not in str(refused.value.errors(include_input=False))


@pytest.mark.parametrize("port", ["99999", "abc", "0"])
@pytest.mark.parametrize("argv", [["check-config"], ["migrate"]], ids=" ".join)
def test_a_database_port_that_is_none_stops_start_up_in_one_line_without_the_password(
    port: str, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, check-config took it, and migrate and run ended in a 495-line traceback
    # (OverflowError or ValueError from the driver).
    monkeypatch.setenv("VARSEL_DATABASE_URL", f"postgresql+asyncpg://u:hunter2@127.0.0.1:{port}/db")
    answer = CliRunner().invoke(cli, argv)
    assert answer.exit_code == 2, answer.output
    assert len(answer.output.strip().splitlines()) == 1, answer.output
    assert "varsel: invalid setting VARSEL_DATABASE_URL: must be " in answer.output
    assert "a port from 1 to 65535" in answer.output
    assert "hunter2" not in answer.output


def test_the_two_database_drivers_are_accepted() -> None:
    for url in (
        "sqlite+aiosqlite:///var/varsel.db",
        "postgresql+asyncpg://varsel@db/varsel",
        "postgresql+asyncpg://varsel:p#?w@db:5432/varsel",  # read as the engine reads it
        "postgresql+asyncpg://varsel@/varsel?host=/run/postgresql",
    ):
        assert Settings(database_url=url).resolved_database_url == url


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        # The header registry decodes these as in a received mail: a line break and a Bcc
        # (every mail then failed to build), or a second sender beside varsel's own.
        ("=?utf-8?q?FHI=0D=0ABcc:_x@evil.example?= <varsel@fhi.no>", "encoded word"),
        ('"=?utf-8?q?FHI=0AReply-To:_x@evil.example?=" <varsel@fhi.no>', "encoded word"),
        ("=?utf-8?q?x@evil.example,?= <varsel@fhi.no>", "encoded word"),
        ("=?utf-8?q?Folkehelseinstituttet?= <varsel@fhi.no>", "plain text"),
        ("FHI\r\nBcc: x@evil.example <varsel@fhi.no>", "one line"),
        ("FHI <varsel@fhi.no>, x@evil.example", "exactly one address"),
        ("Folkehelseinstituttet", "exactly one address"),
        ("", "exactly one address"),
    ],
)
def test_a_sender_that_could_add_headers_or_senders_is_refused_at_start_up(
    value: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match="mail_from") as refused:
        Settings(mail_from=value)
    assert reason in str(refused.value)
    # As the command line says it at start: naming the variable, and why.
    monkeypatch.setenv("VARSEL_MAIL_FROM", value)
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 2
    assert "VARSEL_MAIL_FROM: must " in answer.output
    assert "Value error" not in answer.output
    assert reason in answer.output


@pytest.mark.parametrize(
    "value",
    [
        "varsel <varsel@localhost>",
        "Folkehelseinstituttet <varsel@fhi.no>",
        "Helsedirektoratet – Varsler <varsel@helsedirektoratet.no>",  # encoded by varsel
        '"Helse- og omsorgsdepartementet, varsler" <varsel@hod.dep.no>',
        "varsel@fhi.no",
    ],
)
def test_a_sender_of_one_address_and_a_plain_name_is_kept(value: str) -> None:
    assert Settings(mail_from=value).mail_from == value


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("smtp_url", "mail.example.no:25"),
        ("smtp_url", "mail.example.no"),
        ("smtp_url", "smtp://varsel:hunter2@mail.example.no:99999"),
        ("smtp_url", "smtp://varsel:hunter2@mail.example.no:abc"),
        ("smtp_url", "http://mail.example.no"),
        ("smtp_url", "smtp://"),
        ("broker_url", "rabbitmq:5672"),
        ("broker_url", "amqp://varsel:hunter2@rabbitmq:70000/"),
        ("broker_url", "http://rabbitmq:15672/"),
    ],
)
def test_a_relay_or_broker_url_that_cannot_be_connected_with_is_refused_without_echoing_it(
    field: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As `varsel check-config` and every start-up read it: the message names the variable.
    monkeypatch.setenv(f"VARSEL_{field.upper()}", url)
    with pytest.raises(ValidationError, match="port from 1 to 65535") as refused:
        Settings()
    assert refused.value.errors()[0]["loc"] == (field,)
    assert "hunter2" not in str(refused.value.errors(include_input=False))


def test_relay_and_broker_urls_varsel_connects_with_are_accepted() -> None:
    for smtp in ("smtp://127.0.0.1:1025", "smtps://u:p@mail.example.no", "smtp+starttls://h:587"):
        assert Settings(smtp_url=smtp).smtp_url == smtp
    for broker in ("amqp://guest:guest@127.0.0.1:5672/", "amqps://u:p@mq.example.no/vhost"):
        assert Settings(broker_url=broker).broker_url == broker


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("VARSEL_SMTP_URI", "VARSEL_SMTP_URL"),
        ("VARSEL_DATABASE", "VARSEL_DATABASE_URL"),
        ("VARSEL_SECRETKEY", "VARSEL_SECRET_KEY"),
        ("VARSEL_CONSENT_RETENTION", "VARSEL_CONSENT_RETENTION_DAYS"),
    ],
)
def test_a_misspelt_setting_is_named_with_the_one_meant(
    written: str, meant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, a misspelt variable was ignored without a word: VARSEL_SMTP_URI left mail in .eml
    # files under var/, addresses and all, VARSEL_DATABASE ran on a SQLite file beside the
    # process, and the operator learnt of it when nobody got their alerts.
    monkeypatch.setenv(written, "smtp://relay.example.no:25")
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 0, answer.output
    assert f"{written} is no setting of varsel and is ignored; did you mean {meant}?" in (
        answer.output
    )
    assert "relay.example.no" not in answer.output  # its value may hold a password


def test_a_variable_of_another_tool_that_shares_the_prefix_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VARSEL_TEST_POSTGRES", "postgresql://localhost/test")
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 0, answer.output
    assert "VARSEL_TEST_POSTGRES" not in answer.output


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("VARSEL_VAR_DIR", "var_dir"),
        ("VARSEL_CONFIG", "config"),
        ("VARSEL_LOGO", "logo"),
        ("VARSEL_PRIVACY_NOTICE_DIR", "privacy_notice_dir"),
        ("VARSEL_ACCESSIBILITY_STATEMENT_DIR", "accessibility_statement_dir"),
        ("VARSEL_DKIM_PRIVATE_KEY_PATH", "dkim_private_key_path"),
        # Empty, the bounce listener took it as every interface, not loopback; and pages and
        # mails named no site («Vil du ha varsler fra ?»).
        ("VARSEL_BOUNCE_SMTP_HOST", "bounce_smtp_host"),
        ("VARSEL_SITE_NAME", "site_name"),
    ],
)
def test_a_setting_set_to_nothing_keeps_its_default(
    variable: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A compose file's `VARSEL_VAR_DIR: ${VARSEL_VAR_DIR}` with nothing exported gives "".
    # Before, "" was read as the working folder ".": VARSEL_VAR_DIR put the database and the
    # mails beside the process and closed that folder to everyone else (0700), and the other
    # paths were refused naming "." («cannot read configuration file: Is a directory: '.'»).
    monkeypatch.setenv(variable, "")
    assert getattr(Settings(), field) == Settings.model_fields[field].default
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 0, answer.output


@pytest.mark.parametrize("value", ["", "varsel alerts", "varsel", "<>", "varsel.fhi.no;x"])
def test_a_list_id_that_no_mail_could_carry_is_refused_at_start_up(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, it was taken at start, and every alert, digest and bulletin failed for good as it
    # was built («cannot build the mail: list_id must look like a domain name»), while sign-ups
    # and their confirmations, which carry no List-Id, went on as if all was well.
    monkeypatch.setenv("VARSEL_LIST_ID", value)
    answer = CliRunner().invoke(cli, ["check-config"])
    assert answer.exit_code == 2, answer.output
    assert "VARSEL_LIST_ID: must look like a domain name" in answer.output, answer.output


@pytest.mark.parametrize("value", ["varsel.fhi.no", "<varsel.fhi.no>", "nyheter.varsel-fhi.no"])
def test_a_list_id_written_as_a_domain_is_taken(value: str) -> None:
    assert Settings(list_id=value).list_id == value


def test_every_setting_is_in_a_settings_table() -> None:
    # VARSEL_WATCHER_ENABLED was read and taken, and named in no table: an operator who met it
    # in a benchmark's or test's environment could not learn what it did or what it took.
    root = Path(__file__).resolve().parents[3]
    rows = "\n".join(
        line
        for document in ("README.md", "docs/deployment.md")
        for line in (root / document).read_text(encoding="utf-8").splitlines()
        if line.startswith("|")
    )
    untold = {name for name in Settings.model_fields if f"`VARSEL_{name.upper()}`" not in rows}
    assert untold == set()
