"""Checks of single setting values, each raising ValueError with what a valid value looks like.

``shared.settings`` calls them from its validators; kept apart so the settings object reads as
the list of what can be configured. No message repeats a value that may hold a secret.
"""

from __future__ import annotations

import email.policy
import re
from ipaddress import ip_network
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from shared.addresses import InvalidAddress, normalise_address
from shared.mail_links import site_address


def comma_separated(value: object) -> object:
    """Return a variable's comma-separated text as a tuple of its non-empty parts."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def database_url(value: str) -> str:
    """Refuse a database URL whose driver varsel does not install, or whose port is none."""
    # Any other URL failed at the first query with a traceback, as did a port past 65535 or no
    # number (OverflowError, ValueError from the driver). The message never repeats the URL:
    # it may hold the database's password.
    if value and (
        not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://"))
        or not _database_port_is_good(value)
    ):
        raise ValueError(
            "must be sqlite+aiosqlite:///path/to/varsel.db or "
            "postgresql+asyncpg://user:password@host:5432/database (a port from 1 to 65535; "
            "or empty: var/varsel.db)"
        )
    return value


def _database_port_is_good(value: str) -> bool:
    """Tell whether a database URL names no port or one from 1 to 65535, read as the engine
    reads it (a password may hold a "#" or "?" that urlsplit would take for the URL's end)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        port = make_url(value).port
    except (ArgumentError, ValueError):  # a port that is no number
        return False
    return port is None or 0 < port < 65536


def _server_url(value: str, schemes: tuple[str, ...], examples: str) -> str:
    """Return a server's URL if its scheme is one of ``schemes`` and it names a host and port."""
    # Left unchecked, a URL without its scheme (host:25) passed `varsel check-config`, and
    # failed only when a process started: the broker's retried for ever, unready and deaf to
    # SIGTERM. The message never repeats the URL: it may hold a password.
    if not value:
        return value
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if parts.scheme not in schemes or not parts.hostname or port == 0:
        raise ValueError(f"must look like {examples} (a port from 1 to 65535)")
    return value


def smtp_url(value: str) -> str:
    """Refuse an SMTP relay's URL the mailer cannot connect with."""
    return _server_url(
        value,
        ("smtp", "smtps", "smtp+starttls"),
        "smtp://host:25, smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465",
    )


def broker_url(value: str) -> str:
    """Refuse a RabbitMQ URL the bus cannot connect with."""
    return _server_url(value, ("amqp", "amqps"), "amqp://user:pass@host:5672/")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(value: str) -> str:
    """Return a log level's name in capitals; refuse one the logging module does not know."""
    # Left unchecked, an unknown level ended every command in a traceback from logging.
    if value.upper() not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return value.upper()


def absolute_url(value: str, example: str) -> str:
    """Return a site's absolute http(s) URL without its trailing slash, as every mail's links
    need it; ``example`` names a good one."""
    return site_address(value, example)


def user_agent(value: str) -> str:
    """Return a User-Agent that fits on one header line."""
    if not all(" " <= char <= "~" for char in value):
        raise ValueError(
            "must be printable ASCII on one line, such as "
            "'varsel/1.0 (+https://varsel.example.no; drift@example.no)'"
        )
    return value.strip()


def mail_from(value: str) -> str:
    """Return a sender of one address, its name as plain text (``Folkehelseinstituttet <…>``).

    The header registry that writes the From header decodes encoded words in the text it is
    given, as if reading a received mail: a name written ``=?utf-8?q?…=0D=0A…?=`` became a line
    break (every mail then failed), and ``=?utf-8?q?x@evil.example,?=`` a second sender. A
    name of any letters is written as it is; varsel encodes it.
    """
    example = "such as 'Folkehelseinstituttet <varsel@fhi.no>'"
    if any(char < " " or char == "\x7f" for char in value):
        raise ValueError(f"must be one line without control characters, {example}")
    if "=?" in value:
        raise ValueError(
            "must not hold an RFC 2047 encoded word (=?…?=): write the sender's name as plain "
            f"text, {example}, and varsel encodes it"
        )
    try:
        header = email.policy.default.header_factory("From", value)
    except (ValueError, IndexError):
        header = None
    if header is None or header.defects or len(header.addresses) != 1:
        raise ValueError(f"must be exactly one address, {example}")
    address = header.addresses[0]
    if not address.username or ("." not in address.domain and address.domain != "localhost"):
        raise ValueError(f"must be exactly one address with its domain, {example}")
    return value.strip()


def privacy_url(value: str) -> str:
    """Return a link to the privacy policy: an http(s) URL or a path on varsel's own site."""
    # Left unchecked, any text went into the href of every page's footer, javascript: too.
    # Pages add ?lang= to it, so it carries no query or fragment of its own.
    try:
        parts = urlsplit(value)
        web = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # an address in brackets that is none
        web = False
    path = value.startswith("/") and not value.startswith("//")
    if (path or web) and not any(char <= " " or char in '\\"<>?#\x7f' for char in value):
        return value
    raise ValueError(
        "must be an http(s) URL or a path on this site, without spaces, ? or #, "
        "such as https://www.fhi.no/personvern or /privacy"
    )


def email_list(value: object) -> object:
    """Return a comma-separated list of email addresses as a tuple.

    Each by the rules a subscriber's and a staff account's address meet (shared.addresses):
    ``a@b``, ``a@[127.0.0.1]`` and ``a@exa_mple.com`` passed here, and no notice to them
    arrived. Addresses are named by their place (a blank entry is none), never repeated: the
    message is printed where a log may keep it.
    """
    value = comma_separated(value)
    if not isinstance(value, list | tuple):
        return value
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, str) or any(c.isspace() for c in entry):
            raise ValueError("must be a comma-separated list of email addresses")
        try:
            normalise_address(entry)
        except InvalidAddress:
            raise ValueError(
                f"must be a comma-separated list of email addresses; address {number} is none "
                "mail can be sent to (name@domain, the domain a public name with a dot such as "
                "helsedir.no)"
            ) from None
    return value


def proxy_list(value: object) -> object:
    """Return a comma-separated list of IP addresses or networks as a tuple."""
    return network_list(value, "name the proxies in front of varsel")


def network_list(value: object, what: str) -> object:
    """Return a comma-separated list of IP addresses or networks as a tuple; ``what`` tells
    what the list is to name, when an entry is neither."""
    value = comma_separated(value)
    if not isinstance(value, list | tuple):
        return value
    for entry in value:
        try:
            ip_network(entry, strict=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{entry!r} is not an IP address or network (such as 10.0.0.0/8): {what}"
            ) from exc
    return value


def origin_list(value: object) -> object:
    """Return a comma-separated list of web origins as a tuple of their normal forms."""
    from shared.web.embed_forms import parse_origin

    value = comma_separated(value)
    if not isinstance(value, list | tuple):
        return value
    origins = []
    for entry in value:
        origin = parse_origin(entry) if isinstance(entry, str) else None
        if origin is None:
            raise ValueError(
                f"{entry!r} is not an origin: write the scheme and host of the page that "
                "embeds the form, such as https://www.example.no (no path)"
            )
        origins.append(origin)
    return tuple(origins)


def client_names(value: object) -> object:
    """Return a comma-separated list of API client names as a tuple."""
    value = comma_separated(value)
    if isinstance(value, list | tuple) and any(
        not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", v)
        for v in value
    ):
        raise ValueError(
            "must be a comma-separated list of client names (letters, digits, '.', '_', '-')"
        )
    return value


def timezone(value: str) -> str:
    """Refuse a time zone the zone database does not know."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def dkim_key(value: Path) -> Path:
    """Refuse a DKIM key file that cannot be read, is no PEM RSA private key (the signatures
    are rsa-sha256: dkimpy cannot sign them with an Ed25519 or EC key), or one too short for
    receivers to trust."""
    from dkim.asn1 import ASN1FormatError
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    try:
        data = value.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the DKIM key file {value}: {exc.strerror}") from exc
    try:
        key = parse_pem_private_key(data)
    except (UnparsableKeyError, ASN1FormatError, ValueError, IndexError) as exc:
        raise ValueError(f"{value} is not a PEM RSA private key") from exc
    bits = key["modulus"].bit_length()
    if bits < DKIM_KEY_BITS:
        # RFC 8301 3.2: a verifier must not take a signature by a key under 1024 bits as valid.
        # Taken before, such a key sent every mail as good as unsigned.
        raise ValueError(
            f"{value} is an RSA key of {bits} bits: receivers do not trust a DKIM signature by "
            f"a key under {DKIM_KEY_BITS} bits (RFC 8301); make one of 2048 bits"
        )
    return value


def dkim_domain(value: str) -> str:
    """Refuse a DKIM domain (d=) that is no domain name a signature can carry (empty: none)."""
    written = as_idna(value)
    labels = (written or "").split(".")
    if value and (len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels)):
        raise ValueError("must be a domain name with a dot, such as fhi.no")
    return value


def as_idna(domain: str) -> str | None:
    """Return a domain name as a signature or a mail carries it (IDNA, lower case), or None
    when it cannot be written so."""
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def mail_from_domain(value: str) -> str:
    """Return the domain of a sender that ``mail_from`` has taken."""
    return str(email.policy.default.header_factory("From", value).addresses[0].domain)


def bounce_mailbox(value: str) -> str:
    """Return a plain mailbox that a per-delivery token can be added to (empty: none)."""
    if not value:
        return value
    local, _, domain = value.strip().rpartition("@")
    if not local or "." not in domain or "+" in local or any(c in value for c in " <>,"):
        raise ValueError("must be a plain mailbox without '+', such as bounces@varsel.example.no")
    return value.strip()


def secret_key(value: str) -> str:
    """Refuse a signing key set to nothing (`${VARSEL_SECRET_KEY}` with nothing exported)."""
    # Taken before, development signed every link and keyed the consent ledger's address hash
    # with an empty key, not the development key the variable unset gives; production refused
    # it only as a placeholder. Nothing cannot be meant for a key, in either.
    if not value.strip():
        raise ValueError(
            "must not be empty: at least 32 random characters (in development, unset it for "
            "the development key)"
        )
    return value


def webhook_secret(value: str) -> str:
    """Refuse a webhook secret short enough to guess (empty: no webhook)."""
    if value and len(value) < 32:
        raise ValueError("must be at least 32 characters (or empty: no webhook)")
    return value


# The shortest RSA key a DKIM verifier may trust (RFC 8301 3.2).
DKIM_KEY_BITS: Final = 1024
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


# A List-Id (RFC 2919) is a domain name, as services/mailer/domain/mime.py builds it into every
# alert, digest and bulletin.
_LIST_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def list_id(value: str) -> str:
    """Refuse a List-Id that no mail could carry; it may be written in angle brackets."""
    # Taken at start before, it failed every alert for good as it was built, while sign-ups and
    # confirmations, which carry none, went on as if all was well.
    if not _LIST_ID.fullmatch(value.strip().removeprefix("<").removesuffix(">")):
        raise ValueError("must look like a domain name, such as varsel.fhi.no (RFC 2919)")
    return value
