"""Checks of settings that are right or wrong only together: DKIM, the bounce intake, the
sign-up limits, production.

``shared.settings`` runs them once every single value passed its own check; each raises
ValueError naming the variables it is about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared import setting_checks as checks
from shared.addresses import InvalidAddress, normalise_address

if TYPE_CHECKING:
    from shared.settings import Settings

_PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
DEV_SECRET = "development-only-secret-key-do-not-use-in-production"  # noqa: S105


def check(settings: Settings) -> None:
    """Refuse settings that are wrong together."""
    _bounce_intake_has_an_address(settings)
    _dkim_is_complete(settings)
    _dkim_is_aligned(settings)
    _daily_limit_holds_an_hour(settings)
    _operator_addresses_are_taken(settings)
    _production_is_safe(settings)


def _operator_addresses_are_taken(settings: Settings) -> None:
    # As an account's address is refused (admin.domain.accounts.staff_address).
    if settings.smtp_utf8:
        return
    for number, address in enumerate(settings.operator_emails, start=1):
        try:
            normalise_address(address, non_ascii_local=False)
        except InvalidAddress:
            # By then only the letters before the @ can be refused (checks.email_list).
            raise ValueError(
                f"VARSEL_OPERATOR_EMAILS: address {number} has letters such as æ, ø or å "
                "before the @: the mail relay does not take such addresses (VARSEL_SMTP_UTF8 "
                "is off), so no notice to it would arrive; give another address, or turn "
                "VARSEL_SMTP_UTF8 on if the relay speaks SMTPUTF8"
            ) from None


def _bounce_intake_has_an_address(settings: Settings) -> None:
    if (
        settings.bounce_smtp_port or settings.bounce_webhook_secret
    ) and not settings.bounce_address:
        raise ValueError(
            "VARSEL_BOUNCE_SMTP_PORT and VARSEL_BOUNCE_WEBHOOK_SECRET need "
            "VARSEL_BOUNCE_ADDRESS: without it no mail carries the token a report is read by"
        )


def _dkim_is_complete(settings: Settings) -> None:
    given = [
        bool(settings.dkim_selector),
        bool(settings.dkim_domain),
        settings.dkim_private_key_path,
    ]
    if any(given) and not all(given):
        raise ValueError(
            "DKIM signing needs VARSEL_DKIM_SELECTOR, VARSEL_DKIM_DOMAIN and "
            "VARSEL_DKIM_PRIVATE_KEY_PATH together (or none of them)"
        )


DAILY_LIMIT_DEFAULT = 10
DAILY_LIMIT_MAXIMUM = 240_000


def with_daily_default(data: Any) -> Any:
    """Give the daily cap, where it is not set, at least the hourly limit's value.

    An installation that raised VARSEL_SIGNUP_LIMIT_PER_ADDRESS above 10 before the daily cap
    existed kept starting after the upgrade, its cap one hour's allowance; only a cap set below
    the hourly limit is refused (``_daily_limit_holds_an_hour``).
    """
    if not isinstance(data, dict) or data.get("signup_limit_per_address_daily") is not None:
        return data
    try:
        hourly = int(data.get("signup_limit_per_address", 0))
    except (TypeError, ValueError):
        return data  # the hourly limit's own check says what is wrong with it
    # Within the cap's own bounds: an hourly limit past its maximum is refused by its own check
    # alone, not named twice.
    daily = max(DAILY_LIMIT_DEFAULT, min(hourly, DAILY_LIMIT_MAXIMUM))
    return {**data, "signup_limit_per_address_daily": daily}


def _dkim_is_aligned(settings: Settings) -> None:
    """Refuse a signing domain that receivers checking DMARC do not take for the sender's.

    Relaxed alignment (RFC 7489 3.1.1): d= and the From address's domain must share their
    organisational domain. Without the public suffix list that is judged as one being the
    other, a parent of it or a subdomain of it; siblings (news.fhi.no, mail.fhi.no) are not.
    """
    if not settings.dkim_domain:
        return
    signing = checks.as_idna(settings.dkim_domain)
    written = checks.mail_from_domain(settings.mail_from)
    sender = checks.as_idna(written) or written.lower()
    if signing is None:
        return  # said by the setting's own check
    if signing == sender or sender.endswith(f".{signing}") or signing.endswith(f".{sender}"):
        return
    raise ValueError(
        f"VARSEL_DKIM_DOMAIN ({signing}) must be the domain of VARSEL_MAIL_FROM's address "
        f"({sender}), a parent or a subdomain of it: receivers that check DMARC fail every "
        "mail signed for another domain"
    )


def _daily_limit_holds_an_hour(settings: Settings) -> None:
    daily, hourly = settings.signup_limit_per_address_daily, settings.signup_limit_per_address
    if daily < hourly:
        raise ValueError(
            f"VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY ({daily}) must be at least "
            f"VARSEL_SIGNUP_LIMIT_PER_ADDRESS ({hourly}): a day's sign-ups of an address "
            "cannot be fewer than an hour's"
        )


def _production_is_safe(settings: Settings) -> None:
    if settings.environment == "production":
        if settings.secret_key.lower() in _PLACEHOLDER_SECRETS or settings.secret_key == DEV_SECRET:
            raise ValueError("VARSEL_SECRET_KEY must be set to a real secret in production")
        if len(settings.secret_key) < 32:
            raise ValueError("VARSEL_SECRET_KEY must be at least 32 characters in production")
        if not settings.base_url.startswith("https://"):
            raise ValueError("VARSEL_BASE_URL must use https in production")
        if settings.clock_offset_seconds:
            raise ValueError("VARSEL_CLOCK_OFFSET_SECONDS must not be set in production")
        if settings.websub_loopback_callback_for_tests_only:
            raise ValueError(
                "VARSEL_WEBSUB_LOOPBACK_CALLBACK_FOR_TESTS_ONLY must not be set in production"
            )
