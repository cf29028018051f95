"""`varsel` commands given input that cannot be right say so in one line and exit non-zero (or,
where the input is merely odd, do the right thing): never a traceback, never another fault's
words."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from shared.db import session_factory
from shared.settings import Settings
from tests.integration.admin import seed
from tests.support.databases import migrated_database, migrated_sqlite
from tests.support.dkim_keys import rsa_key_pair
from tests.support.varsel_process import free_port
from varsel.cli import app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database of each kind, which the commands are pointed at."""
    with migrated_database(request.param, tmp_path) as url:
        monkeypatch.setenv("VARSEL_DATABASE_URL", url)
        yield url


def _one_line(result: Result, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output.strip()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["admin", "revoke-token", "3000000000"], "varsel: no live token 3000000000"),
        (["admin", "revoke-token", "99999999999999999999"], "no live token 99999999999999999999"),
        (["admin", "revoke-token", "--", "-5"], "varsel: no live token -5"),
        (["admin", "publishers", "revoke", "3000000000"], "no live publisher token 3000000000"),
        (["admin", "publishers", "revoke", "0"], "varsel: no live publisher token 0"),
    ],
)
def test_a_token_number_no_token_can_have_is_no_live_token(
    database_url: str, argv: list[str], said: str
) -> None:
    # Before, SQLite's integers overflowed (a traceback) and PostgreSQL refused the number as
    # out of its range, which the command took for a database it could not use.
    assert said in _one_line(CliRunner().invoke(app, argv), 1)


def test_a_consent_retention_longer_than_a_hundred_years_is_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As every other period is: the date so long ago cannot be reckoned (before year 1).
    purge = ["admin", "purge-consent", "--quiet"]
    typed = CliRunner().invoke(app, [*purge, "--days", "99999999"])
    assert _one_line(typed, 2) == (
        "varsel: --days must be from 30 to 36500, as VARSEL_CONSENT_RETENTION_DAYS must; "
        "nothing was deleted"
    )
    monkeypatch.setenv("VARSEL_CONSENT_RETENTION_DAYS", "9999999999")
    assert _one_line(CliRunner().invoke(app, purge), 2) == (
        "varsel: invalid setting VARSEL_CONSENT_RETENTION_DAYS: must be from 30 to 36500 days"
    )


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
    ("argv", "said"),
    [
        (["admin", "revoke-token", "abc"], "varsel: a token's number is a whole number"),
        (["admin", "revoke-token", "1.5"], "varsel: a token's number is a whole number"),
        (["admin", "publishers", "revoke", "abc"], "varsel: a token's number is a whole number"),
    ],
)
def test_a_token_number_that_is_no_number_is_said_in_one_line(
    argv: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: Typer's usage error, a box of eight lines drawn around «Invalid value for
    # 'TOKEN_ID': 'abc' is not a valid integer».
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    line = _one_line(CliRunner().invoke(app, argv), 2)
    assert line.startswith(said) and repr(argv[-1]) in line, line


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


def test_an_export_whose_reader_stops_reading_says_so(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "varsel.db")
    asyncio.run(_seed(url, 2100))  # more than a pipe holds
    export = subprocess.Popen(
        [sys.executable, "-m", "varsel", "admin", "export-ledger", "--quiet"],
        cwd=tmp_path,
        env={**os.environ, "VARSEL_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout is not None and export.stderr is not None
    # UTF-8's byte order mark first, for a spreadsheet opened by a double click (docs/privacy.md).
    assert export.stdout.read(100).startswith(b"\xef\xbb\xbfid,occurred_at,")
    export.stdout.close()  # as `| head` does
    said = export.stderr.read().decode()
    assert export.wait(timeout=60) == 1
    # Before: "Broken pipe; is the server VARSEL_DATABASE_URL names reachable?"
    assert said == (
        "varsel: stopped: what read its output (head, a pager) closed it before the end\n"
    )


async def _seed(url: str, count: int) -> None:
    engine = create_async_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed.ledger_steps(session, count, date(2026, 1, 1), ("norge-i-verden",))
    finally:
        await engine.dispose()


def test_a_demo_whose_ports_cannot_be_had_ends_in_one_line_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_DATABASE_URL", raising=False)
    with (
        socket.create_server(("127.0.0.1", 0)) as taken,
        socket.create_server(("127.0.0.1", 0)) as free,
    ):
        port = taken.getsockname()[1]
        spare = free.getsockname()[1]
        free.close()  # a port nobody holds, for the other of the two
        demo = ["demo", "--change-every", "3600"]
        same = CliRunner().invoke(app, [*demo, "--port", str(spare), "--sample-port", str(spare)])
        site = CliRunner().invoke(app, [*demo, "--port", str(spare), "--sample-port", str(port)])
        pages = CliRunner().invoke(app, [*demo, "--port", str(port), "--sample-port", str(spare)])
    assert _one_line(same, 2) == "varsel: --port and --sample-port must differ"
    # Before, the sample site's port in use was told as a database server not answering.
    assert _one_line(site, 1) == (
        f"varsel: cannot serve the sample site on 127.0.0.1:{port}: Address already in use; "
        "choose another --sample-port"
    )
    # Before, every service started, then stopped again when uvicorn found the port taken.
    assert _one_line(pages, 1) == f"varsel: cannot serve HTTP on 127.0.0.1:{port}: " + (
        "Address already in use"
    )
    assert not (tmp_path / "var" / "varsel.db").exists()


def _run_apart(
    argv: list[str], env: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``varsel ARGV`` as its own process, ended by the timeout if it starts serving."""
    return subprocess.run(
        [sys.executable, "-m", "varsel", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("every", ["0", "-5"])
def test_a_demo_that_would_change_its_page_without_pause_is_refused_before_it_starts(
    every: str, tmp_path: Path
) -> None:
    # Before, `--change-every 0` (or a negative number) rewrote the sample page as fast as the
    # disk allowed, thousands of times a second, each a change to alert on, until stopped: run
    # apart, so that such a demo is ended by the timeout.
    ports = [str(free_port()) for _ in range(2)]
    env = {**os.environ, "VARSEL_VAR_DIR": str(tmp_path / "var")}
    env.pop("VARSEL_DATABASE_URL", None)
    argv = ["demo", "--change-every", every, "--port", ports[0], "--sample-port", ports[1]]
    result = _run_apart(argv, env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "--change-every" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()


def test_a_bounce_listener_whose_port_is_taken_ends_run_in_one_line(tmp_path: Path) -> None:
    # Before, the process started every service, then failed its start-up on the taken port in
    # a traceback and exited with status 3, where a taken HTTP port is said in one line.
    env = {
        **os.environ,
        "VARSEL_DATABASE_URL": migrated_sqlite(tmp_path / "varsel.db"),
        "VARSEL_VAR_DIR": str(tmp_path / "var"),
        "VARSEL_BOUNCE_ADDRESS": "bounces@varsel.example.no",
    }
    with socket.create_server(("127.0.0.1", 0)) as taken:
        env["VARSEL_BOUNCE_SMTP_PORT"] = str(taken.getsockname()[1])
        result = _run_apart(["run", "bounces", "--port", str(free_port())], env, tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"varsel: cannot take bounce reports on 127.0.0.1:{env['VARSEL_BOUNCE_SMTP_PORT']}: "
        "Address already in use; check VARSEL_BOUNCE_SMTP_HOST and VARSEL_BOUNCE_SMTP_PORT"
    ), result.stderr
