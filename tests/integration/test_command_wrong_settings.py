"""`varsel` commands and start-up given settings that cannot be right (a period, count or size
past its bounds, settings wrong together, DKIM settings no receiver trusts, a typed setting
that cannot be read) say so in one line, naming the setting and its range, and exit non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.settings import DEV_SECRET, Settings
from tests.integration.test_command_wrong_input import _one_line
from tests.support.dkim_keys import rsa_key_pair
from varsel.cli import app


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("VARSEL_UNCONFIRMED_RETENTION_DAYS", "740000", "from 1 to 36500 days"),
        ("VARSEL_DELIVERY_RETENTION_DAYS", "740000", "from 1 to 36500 days"),
        ("VARSEL_INACTIVE_RETENTION_DAYS", "740000", "from 1 to 36500 days"),
        ("VARSEL_OUTBOX_RETENTION_DAYS", "740000", "from 1 to 36500 days"),
        ("VARSEL_AUDIT_RETENTION_DAYS", "740000", "from 30 to 36500 days"),
        ("VARSEL_SNAPSHOT_RETENTION_DAYS", "740000", "from 1 to 36500 days"),
        ("VARSEL_AUDIT_RETENTION_DAYS", "29", "from 30 to 36500 days"),
        # "inf" failed every fetch (aiohttp rounds the deadline up to an integer).
        ("VARSEL_FETCH_TIMEOUT_SECONDS", "inf", "more than 0 and at most 300 seconds"),
        ("VARSEL_MAIL_POLL_SECONDS", "1e9", "more than 0 and at most 3600 seconds"),
        # The clock could not be built (timedelta overflowed), or could not tell the time.
        ("VARSEL_CLOCK_OFFSET_SECONDS", "1e20", "from -3153600000 to 3153600000 seconds"),
    ],
)
@pytest.mark.parametrize("argv", [["check-config"], ["run", "--port", "1"]], ids=" ".join)
def test_a_period_past_its_bounds_stops_start_up_naming_the_range(
    variable: str,
    value: str,
    allowed: str,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before, 740,000 days started; then `now - timedelta(days=740000)` fell before year 1,
    # and the hourly housekeeping logged the same OverflowError traceback every hour.
    # A folder never migrated: `run` given right settings would end there instead, not serve.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_DATABASE_URL", raising=False)
    monkeypatch.setenv(variable, value)
    said = _one_line(CliRunner().invoke(app, argv), 2)
    assert said == f"varsel: invalid setting {variable}: must be {allowed}"


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        (
            {"VARSEL_DKIM_DOMAIN": "fhi.no"},
            "DKIM signing needs VARSEL_DKIM_SELECTOR, VARSEL_DKIM_DOMAIN and "
            "VARSEL_DKIM_PRIVATE_KEY_PATH together (or none of them)",
        ),
        (
            {"VARSEL_BOUNCE_SMTP_PORT": "2525"},
            "VARSEL_BOUNCE_SMTP_PORT and VARSEL_BOUNCE_WEBHOOK_SECRET need VARSEL_BOUNCE_ADDRESS:"
            " without it no mail carries the token a report is read by",
        ),
        (
            {"VARSEL_ENVIRONMENT": "production", "VARSEL_BASE_URL": "https://varsel.fhi.no"},
            "VARSEL_SECRET_KEY must be set to a real secret in production",
        ),
    ],
)
def test_settings_wrong_together_are_said_in_their_own_words(
    variables: dict[str, str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: «invalid setting VARSEL_?: Value error, DKIM signing needs …».
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_SECRET_KEY", raising=False)
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    assert _one_line(CliRunner().invoke(app, ["check-config"]), 2) == (
        f"varsel: invalid settings: {said}"
    )


@pytest.mark.parametrize("argv", [["check-config"], ["run", "--port", "1"]], ids=" ".join)
def test_a_daily_limit_below_the_hourly_one_stops_start_up_saying_so(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A daily cap set below the hourly limit is refused; one left unset is at least the hourly
    # limit, so an hourly limit raised above the cap's default (10) before it existed still starts.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS", "20")
    monkeypatch.setenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY", "10")
    assert _one_line(CliRunner().invoke(app, argv), 2) == (
        "varsel: invalid settings: VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY (10) must be at least "
        "VARSEL_SIGNUP_LIMIT_PER_ADDRESS (20): a day's sign-ups of an address cannot be fewer "
        "than an hour's"
    )
    monkeypatch.setenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY", "20")
    assert CliRunner().invoke(app, ["check-config"]).exit_code == 0


def test_a_daily_limit_left_unset_is_at_least_the_hourly_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY", raising=False)
    monkeypatch.setenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS", "20")
    assert Settings().signup_limit_per_address_daily == 20
    monkeypatch.setenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS", "3")
    assert Settings().signup_limit_per_address_daily == 10
    monkeypatch.delenv("VARSEL_SIGNUP_LIMIT_PER_ADDRESS")
    assert Settings().signup_limit_per_address_daily == 10
    assert Settings(signup_limit_per_address=40).signup_limit_per_address_daily == 40


@pytest.mark.parametrize("argv", [["check-config"], ["run", "--port", "1"]], ids=" ".join)
def test_dkim_settings_that_make_every_signature_worthless_stop_start_up(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, both started (exit 0): a 512-bit key, which receivers must not trust (RFC 8301),
    # and a signing domain other than the sender's, which fails DMARC for every mail.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_DATABASE_URL", raising=False)
    short, key = tmp_path / "short.pem", tmp_path / "dkim.pem"
    short.write_bytes(rsa_key_pair(512)[0])
    key.write_bytes(rsa_key_pair(1024)[0])
    monkeypatch.setenv("VARSEL_MAIL_FROM", "varsel <varsel@fhi.no>")
    monkeypatch.setenv("VARSEL_DKIM_SELECTOR", "s1")
    monkeypatch.setenv("VARSEL_DKIM_DOMAIN", "fhi.no")
    monkeypatch.setenv("VARSEL_DKIM_PRIVATE_KEY_PATH", str(short))
    assert _one_line(CliRunner().invoke(app, argv), 2) == (
        f"varsel: invalid setting VARSEL_DKIM_PRIVATE_KEY_PATH: {short} is an RSA key of 512 "
        "bits: receivers do not trust a DKIM signature by a key under 1024 bits (RFC 8301); "
        "make one of 2048 bits"
    )
    monkeypatch.setenv("VARSEL_DKIM_PRIVATE_KEY_PATH", str(key))
    monkeypatch.setenv("VARSEL_DKIM_DOMAIN", "other.example")
    assert _one_line(CliRunner().invoke(app, argv), 2) == (
        "varsel: invalid settings: VARSEL_DKIM_DOMAIN (other.example) must be the domain of "
        "VARSEL_MAIL_FROM's address (fhi.no), a parent or a subdomain of it: receivers that "
        "check DMARC fail every mail signed for another domain"
    )
    monkeypatch.setenv("VARSEL_DKIM_DOMAIN", "FHI.no")
    assert CliRunner().invoke(app, ["check-config"]).exit_code == 0


def test_a_source_every_poll_of_which_would_be_refused_is_named_by_check_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Said «2 sources are valid»; then every poll of each failed, refused by the address guard.
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(
        '[[topics]]\nslug = "intern"\ntitle = { nb = "Intern" }\n'
        + "".join(
            f'[[sources]]\nurl = "{url}"\nkind = "page"\ntopics = ["intern"]\ninterval = "1h"\n'
            for url in ("http://10.0.0.5/rapport", "https://www.fhi.no/", "http://localhost:8080/")
        )
    )
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("VARSEL_CONFIG", str(catalogue))

    answer = CliRunner().invoke(app, ["check-config"])

    assert answer.exit_code == 2, answer.output
    advice = "(set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)"
    assert answer.output.splitlines() == [
        f"varsel: source http://10.0.0.5/rapport would fail at every poll: refused 10.0.0.5: it"
        f" resolves to a private, loopback or link-local address {advice}",
        f"varsel: source http://localhost:8080/ would fail at every poll: refused localhost: it"
        f" resolves to a private, loopback or link-local address {advice}",
    ]
    monkeypatch.setenv("VARSEL_ALLOW_PRIVATE_ADDRESSES", "true")
    assert CliRunner().invoke(app, ["check-config"]).exit_code == 0


@pytest.mark.parametrize("value", ["59", "2592001", "31d", "30s"])
def test_a_review_reminder_out_of_range_is_told_with_its_units(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: «must be from 60 to 2592000», seconds unsaid, and the "4h" it also takes unsaid.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("VARSEL_REVIEW_REMINDER_AFTER", value)
    assert _one_line(CliRunner().invoke(app, ["check-config"]), 2) == (
        "varsel: invalid setting VARSEL_REVIEW_REMINDER_AFTER: must be from 1m to 30d"
        " (seconds, or written as 30m, 4h, 2d)"
    )


@pytest.mark.parametrize(
    ("variable", "allowed"),
    [
        # Each poll under way held up to this much in memory, parsed to several times more.
        ("VARSEL_FETCH_MAX_BYTES", "more than 0 and at most 104857600 bytes"),
        ("VARSEL_FETCH_MAX_REDIRECTS", "from 0 to 20"),
        ("VARSEL_PER_HOST_CONCURRENCY", "from 1 to 20"),
        # A source never shown as failing, an address that refuses mail never disabled.
        ("VARSEL_FAILURE_THRESHOLD", "from 1 to 1000"),
        ("VARSEL_HARD_BOUNCE_LIMIT", "from 1 to 100"),
        # Anyone could have a stranger's mailbox flooded with confirmation mails.
        ("VARSEL_SIGNUP_LIMIT_PER_ADDRESS", "from 1 to 10000"),
        ("VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY", "from 1 to 240000"),
        ("VARSEL_SIGNUP_LIMIT_PER_CLIENT", "from 1 to 1000000"),
        # Every request body is held in memory while it is read.
        ("VARSEL_MAX_BODY_BYTES", "from 1024 to 1048576 bytes"),
        ("VARSEL_MAX_STAFF_BODY_BYTES", "from 1024 to 104857600 bytes"),
    ],
)
def test_a_count_or_size_past_its_maximum_stops_start_up_naming_the_range(
    variable: str, allowed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, any number started, a trillion bytes or sign-ups as readily as the default.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv(variable, "1000000000000")
    said = _one_line(CliRunner().invoke(app, ["check-config"]), 2)
    assert said == f"varsel: invalid setting {variable}: must be {allowed}"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "VARSEL_HARD_BOUNCE_LIMIT",
            "abc",
            "a whole number from 1 to 100, or empty for the default (3)",
        ),
        (
            "VARSEL_CONSENT_RETENTION_DAYS",
            "30.5",
            "a whole number from 30 to 36500 days, or empty for the default (none)",
        ),
        (
            "VARSEL_FETCH_TIMEOUT_SECONDS",
            "20s",
            "a number more than 0 and at most 300 seconds, or empty for the default (20)",
        ),
        ("VARSEL_SMTP_UTF8", "maybe", "true or false, or empty for the default (false)"),
    ],
)
def test_a_typed_setting_that_cannot_be_read_names_its_range_and_default(
    variable: str, value: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, in pydantic's words: «Input should be a valid integer, unable to parse string as
    # an integer».
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv(variable, value)
    line = _one_line(CliRunner().invoke(app, ["check-config"]), 2)
    assert line == f"varsel: invalid setting {variable}: must be {said}"


@pytest.mark.parametrize(
    "variable",
    [
        "VARSEL_CONSENT_RETENTION_DAYS",
        "VARSEL_HARD_BOUNCE_LIMIT",
        "VARSEL_FETCH_TIMEOUT_SECONDS",
        "VARSEL_SMTP_UTF8",
        "VARSEL_BOUNCE_SMTP_PORT",
        "VARSEL_DIGEST_HOUR",
    ],
)
def test_a_typed_setting_set_to_nothing_keeps_its_default(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A compose file's `${VARSEL_HARD_BOUNCE_LIMIT}` with nothing exported gives "", as it does
    # for a path (which keeps its default); before, a number or a yes/no set so was refused.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv(variable, "")
    answer = CliRunner().invoke(app, ["check-config"])
    assert answer.exit_code == 0, answer.output


@pytest.mark.parametrize(
    ("environment", "value"),
    [("development", ""), ("development", "  "), ("production", ""), ("production", "  ")],
)
@pytest.mark.parametrize("argv", [["check-config"], ["run", "--port", "1"]], ids=" ".join)
def test_a_secret_key_set_to_nothing_stops_start_up_in_every_environment(
    environment: str, value: str, argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A compose file's `${VARSEL_SECRET_KEY}` with nothing exported gives "". Before, development
    # took it: every link was signed, and the consent ledger's address hash keyed, with an empty
    # key, not the development key the variable unset gives; production refused it as a
    # placeholder.
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("VARSEL_ENVIRONMENT", environment)
    monkeypatch.setenv("VARSEL_BASE_URL", "https://varsel.fhi.no")
    monkeypatch.setenv("VARSEL_SECRET_KEY", value)
    assert _one_line(CliRunner().invoke(app, argv), 2) == (
        "varsel: invalid setting VARSEL_SECRET_KEY: must not be empty: at least 32 random "
        "characters (in development, unset it for the development key)"
    )


def test_a_secret_key_left_unset_is_the_development_key_in_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VARSEL_SECRET_KEY", raising=False)
    monkeypatch.delenv("VARSEL_ENVIRONMENT", raising=False)
    assert Settings().secret_key == DEV_SECRET
    assert CliRunner().invoke(app, ["check-config"]).exit_code == 0
