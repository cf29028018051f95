"""The rules of admin accounts: roles, what a new account needs, sessions and login limits."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from shared.addresses import InvalidAddress, normalise_address
from shared.logs import redact

Role = Literal["auditor", "dpo", "editor", "operator"]
ROLES: Final[tuple[Role, ...]] = ("auditor", "dpo", "editor", "operator")
# What a route asks of an admin: a role, or only to be signed in (the overview, one's password).
Access = Literal["signed_in", "auditor", "dpo", "editor", "operator"]
# An auditor reads consent records, the ledger and the audit log; a data-protection officer (dpo)
# may do what an auditor may and also end a person's alerts or erase them on request; an editor
# tests sources and previews mail, and reads no personal data; an operator may do everything the
# others may, and also see operations and the accounts. Roles are not ranked: an editor is no
# lesser auditor.
_GRANTS: Final[dict[Role, frozenset[Access]]] = {
    "auditor": frozenset({"signed_in", "auditor"}),
    "dpo": frozenset({"signed_in", "auditor", "dpo"}),
    "editor": frozenset({"signed_in", "editor"}),
    "operator": frozenset({"signed_in", "auditor", "dpo", "editor", "operator"}),
}

# A sign-in lasts at most this long, however busy the browser; and no longer than the idle
# timeout (VARSEL_ADMIN_IDLE_MINUTES) after its last page or form, so a browser left open on a
# shared computer does not stay signed in all day.
SESSION_TTL: Final = timedelta(hours=8)
# A session's end moves with use only by this step or more: a page opened within a minute of
# the last one writes nothing, so browsing the admin does not write a row per request.
SESSION_SLIDE_STEP: Final = timedelta(minutes=1)
# An ended session's row is kept this long after its end, so the sign-in page can tell a
# browser that comes back why it was signed out; it opens nothing.
ENDED_SESSION_KEPT: Final = timedelta(days=1)
MIN_PASSWORD: Final = 12
# What the sign-in and password forms take (access.MAX_FIELD): a longer password set by the
# command line could never be typed into them, and its account never signed in.
MAX_PASSWORD: Final = 1000
# zxcvbn's guess-count score, 0-4: 3 is "safely unguessable: moderate protection from an offline
# slow-hash scenario" (10^8 guesses and more), which common passwords, keyboard walks, repeats
# and a word with digits never reach.
MIN_PASSWORD_SCORE: Final = 3
# zxcvbn refuses to score longer passwords (its cost grows with the length); the first 72
# characters of a password are what it is judged on.
_SCORED_LENGTH: Final = 72
# Words an attacker of a Norwegian public body's staff would try first, beside the name.
_LOCAL_WORDS: Final = ("varsel", "passord", "hemmelig", "norge", "sommer", "vinter", "admin")
# Failed logins allowed per hour from one client address, whatever names it tries.
LOGIN_LIMIT_PER_CLIENT: Final = 20
# Failed logins of one name from one client: the first few are free, then each failure doubles
# the wait before that client may try that name again. Nothing is counted per name alone, so a
# stranger guessing an admin's password slows only their own attempts, never the admin's.
LOGIN_FREE_FAILURES: Final = 3
LOGIN_FIRST_DELAY: Final = timedelta(seconds=5)
LOGIN_LONGEST_DELAY: Final = timedelta(minutes=15)
# A client's failures for a name are forgotten after a day without another one.
LOGIN_FAILURES_KEPT: Final = timedelta(days=1)


class AdminError(ValueError):
    """An admin account command cannot be done; the message says why."""


class WeakPassword(AdminError):
    """A password is too short or too easy to guess; ``reason`` names the refusal's words."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "password_short", "password_long" or "password_weak"


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in admin a request acts for."""

    user_id: int
    name: str
    role: Role | None  # None: the account holds no role this version knows

    def may(self, access: Access) -> bool:
        """Tell whether this admin's role grants ``access``; with no known role, only being
        signed in."""
        if self.role is None:
            return access == "signed_in"
        return access in _GRANTS[self.role]


def role_of(stored: str) -> Role | None:
    """Return the role a stored account holds; None for anything else.

    An unknown role (written by hand in the database, or by a later version) grants nothing
    but being signed in: the least a role grants still includes personal data (an auditor's).
    """
    return next((role for role in ROLES if role == stored), None)


def check_role(role: str) -> Role:
    """Return ``role`` if it is one of the roles; raise AdminError naming them otherwise."""
    for known in ROLES:
        if role == known:
            return known
    raise AdminError(f"role must be one of {', '.join(ROLES)}")


def check_new_account(name: str, role: str, password: str) -> None:
    """Refuse an account whose role, name or password breaks the rules (raises AdminError)."""
    check_role(role)
    check_name(name)
    check_password_strength(name, password)


# Who the audit log and the consent ledger name when no staff account acted: the catalogue
# applied at start and the schedule ("system"), a command run on the server ("cli:USER", or
# "cli" when the user is unknown), a CMS with a publisher token ("publisher:NAME") and a
# migration ("migration:NNNN"). An account named so would read as one of them.
RESERVED_NAMES: Final = ("system", "cli")
RESERVED_PREFIXES: Final = ("cli:", "publisher:", "migration:")


def check_name(name: str) -> None:
    """Refuse a name an account may not have, new or renamed (raises AdminError)."""
    if not name or len(name) > 100 or not name.isprintable() or name.strip() != name:
        raise AdminError("name must be 1-100 printable characters without surrounding spaces")
    if is_reserved_name(name):
        raise AdminError(
            f"name {name!r} is how the audit log and the consent ledger name what no staff "
            "account did (system, cli, cli:USER, publisher:NAME, migration:NUMBER), "
            "whatever its case: choose another"
        )
    if (scripts := _scripts(name)) and len(scripts) > 1:
        # «opеrator» with a Cyrillic е reads as «operator» in the audit log, the pages and
        # every ledger step: as another account's name, or as the one it stands beside.
        raise AdminError(
            f"name mixes letters of {' and '.join(sorted(scripts))}, so it could read as "
            "another account's name: write it in one alphabet"
        )
    if redact(name) != name:
        # The name is in every audit entry and ledger step the account makes, kept for years;
        # an address belongs in --email (or set-email), which neither log ever names.
        raise AdminError(
            "name must not be an email address; give the address with --email or set-email"
        )


def _scripts(name: str) -> set[str]:
    """Return the alphabets a name's letters are of, by their Unicode names («LATIN SMALL
    LETTER E», «CYRILLIC SMALL LETTER IE»): a first word, not the Script property, which
    unicodedata does not have and no maintained library gives without more data to ship."""
    return {unicodedata.name(c, "").partition(" ")[0] for c in name if c.isalpha()} - {""}


def is_reserved_name(name: str) -> bool:
    """Tell whether a name reads as an actor that is no staff account, in any case."""
    folded = name.casefold()
    return folded in RESERVED_NAMES or folded.startswith(RESERVED_PREFIXES)


def names_to_rename(names: list[str]) -> list[tuple[str, str | None]]:
    """Return the accounts made before their names were refused, each with why: (name, None)
    for one that reads as no staff account, (name, other) for one that differs from another
    account's only by case. In the order given."""
    by_folded: dict[str, list[str]] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), []).append(name)
    flagged: list[tuple[str, str | None]] = []
    for name in names:
        if is_reserved_name(name):
            flagged.append((name, None))
        flagged.extend((name, other) for other in by_folded[name.casefold()] if other != name)
    return flagged


class InvalidStaffAddress(AdminError):
    """An account's email address is refused; ``reason`` is the text key of why."""

    def __init__(self, reason: str) -> None:
        # The message never repeats the address: it may end up in a log line.
        super().__init__(_ADDRESS_REFUSALS.get(reason, "this is not a valid email address"))
        self.reason = reason


_ADDRESS_REFUSALS: Final = {
    "error_email_local_not_ascii": (
        "the part before the @ cannot hold letters such as æ, ø or å: the mail relay does not "
        "take such addresses (VARSEL_SMTP_UTF8 is off), so no mail to it would arrive; "
        "give another address"
    ),
}


def staff_address(raw: str, *, smtp_utf8: bool = False) -> str:
    """Return the normal form of an account's email address (raises InvalidStaffAddress).

    The same rules as a subscriber's, so a test send reaches the address a subscriber with it
    would be mailed at: a part before the @ that is not ASCII only when the relay takes it
    (``smtp_utf8``, VARSEL_SMTP_UTF8), or no mail to it would arrive.
    """
    try:
        return normalise_address(raw, non_ascii_local=smtp_utf8)
    except InvalidAddress as exc:
        raise InvalidStaffAddress(exc.reason) from exc


def check_password_strength(name: str, password: str) -> None:
    """Refuse a password that is short, common or otherwise easy to guess (raises WeakPassword).

    The strength is zxcvbn's estimate (the maintained port of Dropbox's estimator): it knows
    common passwords, names, words, dates, keyboard patterns, repeats and l33t spellings, which
    no rule of character classes written here would.
    """
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"password must be at least {MIN_PASSWORD} characters", "password_short")
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(
            f"password must be at most {MAX_PASSWORD} characters, as many as the sign-in form"
            " takes",
            "password_long",
        )
    # Imported where a password is set: its dictionaries are a tenth of a second at every
    # start of a process that only reads accounts (every one, for the catalogue).
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[name, *_LOCAL_WORDS])
    if result["score"] < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        hints = " ".join([feedback["warning"], *feedback["suggestions"]]).strip()
        raise WeakPassword(
            "password is too easy to guess (a common password, or words, names, dates, "
            f"repeats or sequences that are tried early){': ' + hints if hints else ''}",
            "password_weak",
        )


def session_end(created_at: datetime, now: datetime, idle: timedelta) -> datetime:
    """Return when a session used at ``now`` ends: after ``idle`` without use, and never later
    than SESSION_TTL after it began."""
    return min(now + idle, created_at + SESSION_TTL)


def end_moves(created_at: datetime, stored: datetime, end: datetime) -> bool:
    """Tell whether a session's stored end must become ``end``: it moves by SESSION_SLIDE_STEP
    or more, or it reaches the sign-in's last moment.

    Left short of that moment by less than a step, a busy session would end up to a minute
    before its hours, and be told it was left unused (session_ending reads the stored end).
    """
    if end == stored:
        return False
    return abs(end - stored) >= SESSION_SLIDE_STEP or end == created_at + SESSION_TTL


def session_ending(created_at: datetime, expires_at: datetime) -> Literal["idle", "expired"]:
    """Tell why a session that has ended did: left unused ("idle") or at its last hour."""
    return "expired" if expires_at >= created_at + SESSION_TTL else "idle"


def login_delay(failures: int) -> timedelta:
    """Return how long a client waits after its ``failures``-th failure for one name."""
    if failures < LOGIN_FREE_FAILURES:
        return timedelta(0)
    # Doubling from 5 s reaches the 15-minute cap after 9 steps; cap the exponent first so a
    # huge count cannot build a huge number.
    steps = min(failures - LOGIN_FREE_FAILURES, 16)
    delay: timedelta = LOGIN_FIRST_DELAY * (1 << steps)
    return min(delay, LOGIN_LONGEST_DELAY)


def login_waits(now: datetime) -> dict[int, datetime]:
    """Return, per count of earlier failures, until when the next failure makes a client wait.

    Only the counts before the wait reaches its cap are listed; any higher count waits the cap.
    """
    waits = {}
    failures = 0
    while (delay := login_delay(failures + 1)) < LOGIN_LONGEST_DELAY:
        waits[failures] = now + delay
        failures += 1
    return waits


def digest(secret: str) -> str:
    """Return the stored form of a session id or API token."""
    # Session ids and tokens carry 256 random bits, so a fast hash is enough to store them.
    return hashlib.sha256(secret.encode()).hexdigest()


def limit_key(secret_key: str, kind: str, value: str) -> str:
    """Return the keyed hash a login counter is stored under (no name or IP in the table)."""
    message = f"admin-login-{kind}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
