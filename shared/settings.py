"""The one typed settings object, validated at start-up."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared import setting_checks as checks
from shared import setting_combinations as together
from shared.brand import DEFAULT_ACCENT, Brand, check_accent, check_logo
from shared.db import CONNECT_TIMEOUT_SECONDS
from shared.intervals import parse_interval
from shared.setting_combinations import DEV_SECRET

# Consent records of people who erased or never confirmed are kept at least this long, however
# the retention is given (the setting, or `varsel admin purge-consent --days`).
MIN_CONSENT_RETENTION_DAYS: Final = 30
# The longest any period in days may be: a hundred years, far past any period records are kept
# for. Without it, `now - timedelta(days=740_000)` fell before year 1 and the hourly
# housekeeping logged the same OverflowError every hour for as long as the setting stood.
MAX_DAYS: Final = 36_500
# The largest body a fetch, a hub's push or a staff request may bring: each is held in memory
# whole while it is read and parsed.
MAX_BODY_BYTES: Final = 100 * 1024 * 1024
# The settings that are numbers or switches, whose empty variable keeps their default.
_TYPED: Final[tuple[object, ...]] = (int, float, bool, int | None, float | None)


class Settings(BaseSettings):
    """Everything varsel can be configured with, read from ``VARSEL_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="VARSEL_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    # How long a process waits for PostgreSQL to answer a new connection: a request then gets
    # its 503 and /readyz its answer inside a probe's timeout (3 s in deploy/kubernetes).
    database_connect_timeout_seconds: float = Field(default=CONNECT_TIMEOUT_SECONDS, gt=0, le=60)
    broker_url: str = ""
    # How long a starting process waits for RabbitMQ to answer before it gives up: started
    # together (compose, a node that reboots), the broker is often a few seconds behind.
    broker_wait_seconds: int = Field(default=60, ge=0, le=3600)
    # Prefix of every exchange and queue, so several installations can share one RabbitMQ.
    broker_namespace: str = Field(default="varsel", pattern=r"^[a-z0-9][a-z0-9._-]{0,60}$")
    smtp_url: str = ""
    # Whether the relay takes addresses whose part before the @ is not ASCII (SMTPUTF8, RFC
    # 6531). Without it such an address is refused at sign-up: the relay would refuse every
    # mail to it. A non-ASCII domain needs no such thing; it leaves in its IDNA form.
    smtp_utf8: bool = False
    base_url: str = "http://127.0.0.1:8000"
    # Where the staff side answers (links in operator mails, change diffs). Empty: base_url's
    # /admin, as in the embedded mode; set it when the admin runs apart on an internal host.
    admin_url: str = ""
    secret_key: str = DEV_SECRET
    config: Path | None = None
    # How often each process asks whether the catalogue's version moved (docs/decisions/0011).
    catalogue_check_seconds: float = Field(default=2.0, gt=0, le=300)
    mail_from: str = "varsel <varsel@localhost>"
    list_id: str = "varsel.localhost"
    timezone: str = "Europe/Oslo"
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    site_name: str = "varsel"
    # The organisation's look on pages and in mails: a logo (SVG or PNG; varsel serves it at
    # /brand/logo.svg or .png, so no page loads it from another host) and an accent colour,
    # refused at start-up if it has less than WCAG AA contrast (4.5:1) against white.
    logo: Path | None = None
    accent_colour: str = DEFAULT_ACCENT
    # The accessibility statement (Tilgjengelighetserklæring): a folder of Markdown files, one
    # per language (nb.md, nn.md, en.md). Empty: the bundled example, which must be replaced.
    accessibility_statement_dir: Path | None = None
    # The privacy notice (GDPR art. 13): a folder of Markdown files with front matter, one per
    # language (nb.md, nn.md, en.md). Empty: the bundled example, which must be replaced.
    privacy_notice_dir: Path | None = None
    # Where pages and mails link to the privacy policy: varsel's own notice (/privacy, whose
    # version and hash go into the consent ledger), or an http(s) URL of the organisation's.
    privacy_url: str = "/privacy"

    # Retention and link lifetimes (days).
    confirm_ttl_days: int = Field(default=7, ge=1, le=90)
    link_ttl_days: int = Field(default=180, ge=90, le=3650)
    unconfirmed_retention_days: int = Field(default=7, ge=1, le=MAX_DAYS)
    delivery_retention_days: int = Field(default=90, ge=1, le=MAX_DAYS)
    # People whose alerts have all ended (they did not press "delete") are erased after this.
    inactive_retention_days: int = Field(default=30, ge=1, le=MAX_DAYS)
    # Mails written to the outbox folder (no SMTP server set) are deleted after this.
    outbox_retention_days: int = Field(default=30, ge=1, le=MAX_DAYS)
    # The admin audit log (who read or did what to whom) is kept this long: two years by default,
    # so an access can still be accounted for when a person asks long after.
    audit_retention_days: int = Field(default=730, ge=30, le=MAX_DAYS)
    snapshot_retention_days: int = Field(default=90, ge=1, le=MAX_DAYS)
    # Consent ledger rows of people who erased or never confirmed are kept this long after their
    # last step (None: kept until deleted by hand), so consent can be proven for a while.
    consent_retention_days: int | None = Field(
        default=None, ge=MIN_CONSENT_RETENTION_DAYS, le=MAX_DAYS
    )
    # A publisher's retry of a push comes within hours; a key older than this sends again.
    publisher_key_retention_days: int = Field(default=30, ge=1, le=3650)

    # Watcher
    allow_private_addresses: bool = False
    # Connecting must succeed within it, the whole answer arrive within twice it. Five minutes
    # at most: a site slower than that is down, and "inf" failed every fetch in aiohttp.
    fetch_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # Every poll under way holds its body in memory, and parsing takes several times more: at
    # the watcher's 20 polls at once, 100 MiB each is already a few gigabytes.
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, le=MAX_BODY_BYTES)
    # Browsers stop at 20; each hop is another request to the site (and adds to the poll's time).
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    # The watcher polls 20 sources at once (services/watcher/bootstrap.py): more per host is
    # no limit at all.
    per_host_concurrency: int = Field(default=2, ge=1, le=20)
    # Past a thousand polls in a row a failing source would never be told (a day's polls are
    # 2,880 at 30 s, 96 at 15 minutes).
    failure_threshold: int = Field(default=3, ge=1, le=1000)
    # A page that answers only 404 or 410 for this long is "gone": an editor is asked to confirm
    # before its followers are told. Fractions allowed (0.5 is twelve hours).
    page_gone_after_days: float = Field(default=3.0, ge=0.01, le=365)
    # Sent with every fetch, so a site's operators can tell who polls them and how to reach
    # whoever runs this installation. Empty: product, version and VARSEL_BASE_URL.
    user_agent: str = Field(default="", max_length=500)
    # Told by mail when a source starts failing or recovers; comma-separated, empty: log only.
    operator_emails: Annotated[tuple[str, ...], NoDecode] = ()
    watcher_enabled: bool = True
    # WebSub: how long varsel asks a feed's hub to push (the hub decides; renewed before it
    # ends). Hubs are asked only when VARSEL_BASE_URL is public: a hub cannot call loopback or
    # a private network. The loopback switch exists for tests; production refuses it.
    websub_lease_seconds: int = Field(default=7 * 24 * 3600, ge=3600, le=90 * 24 * 3600)
    websub_loopback_callback_for_tests_only: bool = False

    # Mailer
    # Each connection carries one mail per durable commit of its group (ADR 0008), so the pool
    # sets a mailer's pace: two mailers sent a quarter more with 32 each than with 16; a relay
    # that takes fewer is learned, not taken for down (ADR 0025, docs/benchmarks.md).
    mail_concurrency: int = Field(default=32, ge=1, le=64)
    # An address that refuses mail this often is dead: mailing it on hurts the relay's name.
    hard_bounce_limit: int = Field(default=3, ge=1, le=100)
    # How long the mailer rests, when nothing wakes it, before it looks for mail due again.
    mail_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    digest_hour: int = Field(default=7, ge=0, le=23)
    digest_weekday: int = Field(default=0, ge=0, le=6)
    # How long a change may wait on the editor's desk before the editors are mailed, once:
    # "30m", "4h", "2d" or seconds, from a minute to 30 days (docs/decisions/0014).
    review_reminder_after: int = Field(default=4 * 3600, ge=60, le=30 * 86400)
    # Shifts this process's clock, to rehearse digest runs ahead of time; refused in production.
    # Within a hundred years either way: further, the clock could not be built or tell the time.
    clock_offset_seconds: float = Field(default=0.0, ge=-MAX_DAYS * 86_400, le=MAX_DAYS * 86_400)
    # How long a claimed batch of mails is this process's alone; a crashed process's batch is
    # sent by another after this (docs/decisions/0006-exactly-once-over-smtp.md). Nothing is
    # handed over in the last fifth (at most 60 s), which must outlast one SMTP timeout (30 s):
    # keep the default in production; short leases are for tests that kill processes.
    mail_lease_seconds: float = Field(default=300.0, ge=10.0, le=3600.0)
    # DKIM signing (RFC 6376): all three set signs every mail; none set sends unsigned mail.
    dkim_selector: str = Field(default="", pattern=r"^$|^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$")
    dkim_domain: str = ""
    dkim_private_key_path: Path | None = None
    # Late bounces and complaints: each mail's envelope sender is local+TOKEN@domain of this
    # mailbox. Empty: mails leave with the From address as sender and nothing coming back is read.
    bounce_address: str = ""
    # The inbound SMTP listener for reports (varsel run bounces); no port, no listener.
    bounce_smtp_host: str = "127.0.0.1"
    bounce_smtp_port: int | None = Field(default=None, ge=1, le=65535)
    # The bearer secret of the providers' webhook for reports; empty, no webhook.
    bounce_webhook_secret: str = ""

    # Staff sign-ins end after this many minutes without a page or form (1 to 480); a sign-in
    # lasts no longer than 8 hours however busy it is (services/admin/domain/accounts.py).
    admin_idle_minutes: int = Field(default=30, ge=1, le=480)

    # Abuse limits (per window of one hour, or of one day of UTC).
    # Each sign-up mails its address: more per address and hour would let anyone flood a
    # stranger's mailbox; a client may be a whole office behind one address, or an integration.
    signup_limit_per_address: int = Field(default=5, ge=1, le=10_000)
    # The hourly limit alone still mails an address 24 times as much a day.
    signup_limit_per_address_daily: int = Field(
        default=together.DAILY_LIMIT_DEFAULT, ge=1, le=together.DAILY_LIMIT_MAXIMUM
    )
    signup_limit_per_client: int = Field(default=30, ge=1, le=1_000_000)
    # Far above a newsroom's pace, low enough that a CMS caught in a loop cannot flood people.
    publisher_pushes_per_hour: int = Field(default=1000, ge=1, le=1_000_000)

    # Request bodies, in bytes: a public form or API call is small; the staff side takes more.
    # Held in memory while it is read, so bounded: a public form is a few kilobytes, and the
    # staff limit also covers a hub's pushed feed (ADR 0013), which a fetch may take whole.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    max_staff_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=MAX_BODY_BYTES)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed. Empty: the connecting peer is the client, whatever a header claims.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    # Who may read /metrics: these addresses or networks. Empty: every client that is not on the
    # public internet (loopback, private, link-local and unique local addresses).
    metrics_networks: Annotated[tuple[str, ...], NoDecode] = ()
    # Origins (https://www.example.no) of the publisher's pages that may show the sign-up form
    # in an iframe; only they are named in its frame-ancestors. Empty: the form is not embeddable.
    embed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Integrations that sign people up through the JSON API, each naming itself in ``client``;
    # the consent ledger records the name. Empty: API sign-ups name none and are recorded as "api".
    api_clients: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator(
        "var_dir",
        "config",
        "logo",
        "accessibility_statement_dir",
        "privacy_notice_dir",
        "dkim_private_key_path",
        "bounce_smtp_host",
        "site_name",
        "privacy_url",
        mode="before",
    )
    @classmethod
    def _nothing_is_the_default(cls, value: object, info: ValidationInfo) -> object:
        # An empty variable (a compose file's `${VARSEL_VAR_DIR}` with nothing exported) means
        # unset, as an empty URL does: read as a path it was ".", the working folder; as the
        # bounce listener's host, every interface; as the site's name, none on pages and mails.
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[str(info.field_name)].default
        return value

    @field_validator("review_reminder_after", mode="before")
    @classmethod
    def _review_interval(cls, value: object) -> object:
        # An interval written as the catalogue writes one; the bounds are checked after.
        return parse_interval(value) if isinstance(value, str) and not value.isdigit() else value

    @field_validator("*", mode="before")
    @classmethod
    def _nothing_is_the_default_number(cls, value: object, info: ValidationInfo) -> object:
        # As for a path: `${VARSEL_HARD_BOUNCE_LIMIT}` with nothing exported means unset, not a
        # number pydantic cannot read. Text settings are not: an empty sender or List-Id is
        # refused, as it cannot be meant.
        field = cls.model_fields[str(info.field_name)]
        if isinstance(value, str) and not value.strip() and field.annotation in _TYPED:
            return field.default
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_has_a_driver_varsel_uses(cls, value: str) -> str:
        return checks.database_url(value)

    @field_validator("smtp_url", "broker_url")
    @classmethod
    def _server_urls_can_be_connected_with(cls, value: str, info: ValidationInfo) -> str:
        return checks.smtp_url(value) if info.field_name == "smtp_url" else checks.broker_url(value)

    @field_validator("log_level")
    @classmethod
    def _log_level_is_known(cls, value: str) -> str:
        return checks.log_level(value)

    @field_validator("base_url", "admin_url", "privacy_url")
    @classmethod
    def _links_lead_somewhere(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "privacy_url":
            return checks.privacy_url(value)
        if info.field_name == "admin_url":
            return checks.absolute_url(value, "https://varsel.intern/admin") if value else value
        return checks.absolute_url(value, "https://varsel.example.no")

    @field_validator("user_agent")
    @classmethod
    def _user_agent_is_one_header_line(cls, value: str) -> str:
        return checks.user_agent(value)

    @field_validator("list_id")
    @classmethod
    def _list_id_is_a_domain(cls, value: str) -> str:
        return checks.list_id(value)

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_one_sender(cls, value: str) -> str:
        return checks.mail_from(value)

    @field_validator("operator_emails", mode="before")
    @classmethod
    def _operator_emails_are_addresses(cls, value: object) -> object:
        return checks.email_list(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies_are_addresses(cls, value: object) -> object:
        return checks.proxy_list(value)

    @field_validator("metrics_networks", mode="before")
    @classmethod
    def _metrics_networks_are_networks(cls, value: object) -> object:
        return checks.network_list(value, "name the networks your metrics collector scrapes from")

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _embed_origins_are_origins(cls, value: object) -> object:
        return checks.origin_list(value)

    @field_validator("api_clients", mode="before")
    @classmethod
    def _api_clients_are_names(cls, value: object) -> object:
        return checks.client_names(value)

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        return checks.timezone(value)

    @field_validator("accent_colour")
    @classmethod
    def _accent_is_readable(cls, value: str) -> str:
        return check_accent(value)

    @field_validator("logo")
    @classmethod
    def _logo_is_servable(cls, value: Path | None) -> Path | None:
        return None if value is None else check_logo(value)

    @field_validator("dkim_private_key_path")
    @classmethod
    def _dkim_key_is_usable(cls, value: Path | None) -> Path | None:
        return None if value is None else checks.dkim_key(value)

    @field_validator("dkim_domain")
    @classmethod
    def _dkim_domain_is_a_domain(cls, value: str) -> str:
        return checks.dkim_domain(value)

    @field_validator("bounce_address")
    @classmethod
    def _bounce_address_is_a_mailbox(cls, value: str) -> str:
        return checks.bounce_mailbox(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_something(cls, value: str) -> str:
        return checks.secret_key(value)

    @field_validator("bounce_webhook_secret")
    @classmethod
    def _webhook_secret_is_long(cls, value: str) -> str:
        return checks.webhook_secret(value)

    @model_validator(mode="before")
    @classmethod
    def _daily_limit_follows_the_hourly(cls, data: Any) -> Any:
        return together.with_daily_default(data)

    @model_validator(mode="after")
    def _right_together(self) -> Settings:
        together.check(self)
        return self

    @property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file under the var directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'varsel.db').as_posix()}"

    @property
    def resolved_admin_url(self) -> str:
        """Return the staff side's URL, defaulting to /admin beside the public pages."""
        return self.admin_url or f"{self.base_url}/admin"

    @property
    def resolved_privacy_url(self) -> str:
        """Return the privacy policy's absolute URL, as a mail links to it."""
        return (
            f"{self.base_url}{self.privacy_url}"
            if self.privacy_url.startswith("/")
            else self.privacy_url
        )

    @property
    def resolved_user_agent(self) -> str:
        """Return the User-Agent of every fetch, defaulting to ``varsel/<version> (+<base>)``."""
        return self.user_agent or f"varsel/{product_version()} (+{self.base_url})"

    @property
    def catalogue_path(self) -> Path:
        """Return the catalogue file, defaulting to the bundled public-health catalogue."""
        if self.config is not None:
            return self.config
        return Path(__file__).resolve().parent.parent / "varsel" / "default_catalogue.toml"

    @property
    def brand(self) -> Brand:
        """Return what pages and mails show of the organisation's look."""
        logo_path = f"/brand/logo{self.logo.suffix.lower()}" if self.logo else None
        return Brand(accent=self.accent_colour, logo_path=logo_path)

    @property
    def outbox_dir(self) -> Path:
        """Return where mail is written when no SMTP server is configured."""
        return self.var_dir / "outbox"


@cache
def product_version() -> str:
    """Return the installed varsel's version (from its package metadata)."""
    try:
        return version("varsel")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"
