"""An address as it goes on the wire: in the To header and in the SMTP envelope alike.

Addresses are stored as they were normalised at sign-up, with the domain in Unicode
(shared/addresses.py); the consent ledger hashes that form, so it is never changed. Only when
a mail leaves is an internationalised domain written in its IDNA (punycode) form, so a relay
without SMTPUTF8 still takes an address whose local part is ASCII.
"""

from __future__ import annotations

import re
from typing import Final

import idna

_ADDRESS_CHAR: Final = r"[^\s\"(),:;<>@\[\\\]\x00-\x1f\x7f]"
_ADDRESS: Final = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+")


class UnsendableAddress(ValueError):
    """No mail can go to this address, whatever the relay: the mail fails, alone."""


class UnencodableDomain(UnsendableAddress):
    """The domain has no IDNA form: no mail can reach it, whatever the relay."""


def header_address(address: str) -> bytes:
    """Check one bare recipient address and return it for the To header.

    The envelope's recipient is the same (SmtpConnection.send). A local part that is not ASCII
    stays UTF-8 (RFC 6532): the sender must then use SMTPUTF8.
    """
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise UnsendableAddress("recipient must be one bare address without spaces or line breaks")
    if address.isascii():
        return address.encode("ascii")
    return wire_address(address).encode("utf-8")


def wire_address(address: str) -> str:
    """Return the address with an IDNA domain if its local part is ASCII, else unchanged.

    An ASCII address comes back at the cost of one ``isascii``: nearly every mail's. A local
    part that is not ASCII needs SMTPUTF8 anyway (RFC 6531), so its domain stays Unicode.
    """
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return address
    try:
        # IDNA 2008 with UTS 46 mapping, as email-validator checked it at sign-up; Python's
        # own "idna" codec is IDNA 2003, which maps "faß.de" to another domain, "fass.de".
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except UnicodeError:  # idna.IDNAError is one
        raise UnencodableDomain("the recipient's domain has no IDNA (punycode) form") from None
    return f"{local}@{ascii_domain}"
