"""Email address validation, as sign-up applies it.

The rules live in ``shared/addresses.py`` because staff accounts' addresses follow them too.
"""

from shared.addresses import InvalidAddress, normalise_address

__all__ = ["InvalidAddress", "normalise_address"]
