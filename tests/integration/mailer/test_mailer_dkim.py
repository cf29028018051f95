"""DKIM: mail is signed when a key is configured and verifies as a receiver checks it."""

from __future__ import annotations

import base64
import math
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import dkim
import pytest
from pydantic import ValidationError

from services.mailer.adapters.dkim import SIGNED_HEADERS
from shared.clock import FrozenClock
from shared.settings import Settings
from tests.integration.mailer.faults import LoopbackSmtp
from tests.integration.mailer.harness import Harness, on, write_catalogue

SELECTOR = "varsel2026"
DOMAIN = "fhi.no"


def _probably_prime(n: int) -> bool:
    if n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(32):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, e: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (0b11 << (bits - 2)) | 1
        if math.gcd(e, candidate - 1) == 1 and _probably_prime(candidate):
            return candidate


def _der_sequence(*numbers: int) -> bytes:
    def length(n: int) -> bytes:
        if n < 0x80:
            return bytes([n])
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return bytes([0x80 | len(raw)]) + raw

    body = b""
    for number in numbers:
        raw = number.to_bytes(number.bit_length() // 8 + 1, "big")  # leading zero keeps it positive
        body += b"\x02" + length(len(raw)) + raw
    return b"\x30" + length(len(body)) + body


def rsa_key_pair(bits: int = 1024) -> tuple[bytes, bytes]:
    """Return (PEM PKCS#1 private key, DER RSAPublicKey) generated for this test only."""
    e = 65537
    p, q = _prime(bits // 2, e), _prime(bits // 2, e)
    n, d = p * q, pow(e, -1, (p - 1) * (q - 1))
    private = _der_sequence(0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))
    encoded = base64.encodebytes(private).replace(b"\n", b"")
    lines = b"\n".join(encoded[i : i + 64] for i in range(0, len(encoded), 64))
    pem = b"-----BEGIN RSA PRIVATE KEY-----\n" + lines + b"\n-----END RSA PRIVATE KEY-----\n"
    return pem, _der_sequence(n, e)


@pytest.fixture(scope="module")
def key_pair() -> tuple[bytes, bytes]:
    return rsa_key_pair()


@pytest.fixture
async def signing_harness(
    database_url: str,
    smtp: LoopbackSmtp,
    clock: FrozenClock,
    tmp_path: Path,
    key_pair: tuple[bytes, bytes],
) -> AsyncIterator[Harness]:
    key = tmp_path / "dkim.pem"
    key.write_bytes(key_pair[0])
    built = Harness.build(
        database_url,
        smtp.url,
        write_catalogue(tmp_path),
        clock,
        smtp.mailbox,
        dkim_selector=SELECTOR,
        dkim_domain=DOMAIN,
        dkim_private_key_path=key,
    )
    await built.store_catalogue()
    yield built
    await built.close()


def dns_with(public_key: bytes) -> object:
    """Return a dnsfunc that knows only the test selector's TXT record."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode():
            return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_key)
        return None

    return lookup


@on("sqlite")
async def test_alerts_are_signed_and_verify_as_a_receiver_checks(
    signing_harness: Harness, key_pair: tuple[bytes, bytes]
) -> None:
    harness = signing_harness
    await harness.subscribe("kari@example.org")
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()

    alert = harness.received_by("kari@example.org")
    assert len(alert) == 1
    assert dkim.verify(alert[0].data, dnsfunc=dns_with(key_pair[1]))
    signature = alert[0].message["DKIM-Signature"]
    tags = {k.strip(): v.strip() for k, _, v in (t.partition("=") for t in signature.split(";"))}
    assert tags["d"] == DOMAIN and tags["s"] == SELECTOR
    signed = {h.strip().lower().encode() for h in tags["h"].split(":")}
    assert set(SIGNED_HEADERS) <= signed


@on("sqlite")
async def test_a_changed_signed_header_fails_verification(
    signing_harness: Harness, key_pair: tuple[bytes, bytes]
) -> None:
    harness = signing_harness
    await harness.subscribe("kari@example.org")
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()

    data = harness.received_by("kari@example.org")[0].data
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in data
    tampered = data.replace(b"Subject: ", b"Subject: Re: ", 1)
    assert not dkim.verify(tampered, dnsfunc=dns_with(key_pair[1]))
    other_public = rsa_key_pair()[1]
    assert not dkim.verify(data, dnsfunc=dns_with(other_public))


@on("sqlite")
async def test_without_a_key_mail_is_unsigned(harness: Harness) -> None:
    await harness.subscribe("kari@example.org")
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()

    (alert,) = harness.received_by("kari@example.org")
    assert alert.message["DKIM-Signature"] is None


def test_settings_reject_a_missing_unreadable_or_invalid_key(
    tmp_path: Path, key_pair: tuple[bytes, bytes]
) -> None:
    complete = {"dkim_selector": SELECTOR, "dkim_domain": DOMAIN}
    with pytest.raises(ValidationError, match="cannot read the DKIM key file"):
        Settings(**complete, dkim_private_key_path=tmp_path / "missing.pem")
    not_a_key = tmp_path / "notes.pem"
    not_a_key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValidationError, match="is not a PEM RSA private key"):
        Settings(**complete, dkim_private_key_path=not_a_key)
    key = tmp_path / "dkim.pem"
    key.write_bytes(key_pair[0])
    with pytest.raises(ValidationError, match="together"):
        Settings(dkim_private_key_path=key)
    assert Settings(**complete, dkim_private_key_path=key).dkim_private_key_path == key
