"""The rules of admin accounts: roles, what a new account needs, sessions and login limits."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

Role = Literal["auditor", "operator"]
ROLES: Final[tuple[Role, ...]] = ("auditor", "operator")
# An operator may do everything an auditor may, and also see operations.
_RANK: Final = {"auditor": 1, "operator": 2}

SESSION_TTL: Final = timedelta(hours=8)
MIN_PASSWORD: Final = 12
# Failed logins allowed per hour, per account name and per client address.
LOGIN_LIMIT_PER_NAME: Final = 5
LOGIN_LIMIT_PER_CLIENT: Final = 20


class AdminError(ValueError):
    """An admin account command cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in admin a request acts for."""

    user_id: int
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        """Tell whether this admin holds ``role`` or a higher one."""
        return _RANK[self.role] >= _RANK[role]


def role_of(stored: str) -> Role:
    """Return the role a stored account holds (anything unknown counts as the lowest)."""
    return "operator" if stored == "operator" else "auditor"


def check_new_account(name: str, role: str, password: str) -> None:
    """Refuse an account whose role, name or password breaks the rules (raises AdminError)."""
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    if not name or len(name) > 100 or not name.isprintable() or name.strip() != name:
        raise AdminError("name must be 1-100 printable characters without surrounding spaces")
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"password must be at least {MIN_PASSWORD} characters")


def digest(secret: str) -> str:
    """Return the stored form of a session id or API token."""
    # Session ids and tokens carry 256 random bits, so a fast hash is enough to store them.
    return hashlib.sha256(secret.encode()).hexdigest()


def limit_key(secret_key: str, kind: str, value: str) -> str:
    """Return the keyed hash a login counter is stored under (no name or IP in the table)."""
    message = f"admin-login-{kind}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
