"""DKIM: mail is signed when a key is configured and verifies as a receiver checks it."""

from __future__ import annotations

import base64
import re
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
from tests.support.dkim_keys import rsa_key_pair

SELECTOR = "varsel2026"
DOMAIN = "fhi.no"


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
    complete = {"dkim_selector": SELECTOR, "dkim_domain": DOMAIN, "mail_from": "varsel@fhi.no"}
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


def test_settings_reject_a_key_no_receiver_trusts_or_dkimpy_cannot_sign_with(
    tmp_path: Path,
) -> None:
    # RFC 8301: a verifier must not trust a signature by an RSA key under 1024 bits. Before, a
    # 512-bit key started, and every mail went out as good as unsigned.
    complete = {"dkim_selector": SELECTOR, "dkim_domain": DOMAIN, "mail_from": "varsel@fhi.no"}
    short = tmp_path / "short.pem"
    short.write_bytes(rsa_key_pair(512)[0])
    with pytest.raises(ValidationError, match="RSA key of 512 bits: receivers do not trust"):
        Settings(**complete, dkim_private_key_path=short)
    # An Ed25519 key (PKCS#8): the signatures are rsa-sha256, which dkimpy cannot make with it.
    der = bytes.fromhex("302e020100300506032b657004220420") + bytes(range(32))
    ed25519 = tmp_path / "ed25519.pem"
    ed25519.write_bytes(
        b"-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der) + b"\n-----END PRIVATE KEY-----\n"
    )
    with pytest.raises(ValidationError, match="is not a PEM RSA private key"):
        Settings(**complete, dkim_private_key_path=ed25519)


@pytest.mark.parametrize(
    ("domain", "sender"),
    [
        ("fhi.no", "Folkehelseinstituttet <varsel@fhi.no>"),
        ("FHI.no", "varsel@fhi.NO"),
        ("fhi.no", "varsel@varsel.fhi.no"),  # a parent of the sender's domain
        ("mail.fhi.no", "varsel@fhi.no"),  # a subdomain: the same organisational domain
        ("xn--fh-oja.no", "varsel@fhí.no"),
        ("fhí.no", "varsel@xn--fh-oja.no"),
    ],
)
def test_a_signing_domain_aligned_with_the_sender_is_taken(
    domain: str, sender: str, tmp_path: Path, key_pair: tuple[bytes, bytes]
) -> None:
    key = tmp_path / "dkim.pem"
    key.write_bytes(key_pair[0])
    settings = Settings(
        dkim_selector=SELECTOR, dkim_domain=domain, mail_from=sender, dkim_private_key_path=key
    )
    assert settings.dkim_domain == domain


@pytest.mark.parametrize(
    ("domain", "sender", "said"),
    [
        ("other.example", "varsel <varsel@fhi.no>", "(other.example) must be the domain"),
        ("hi.no", "varsel@fhi.no", "(hi.no) must be the domain"),
        ("fhi.no", "varsel <varsel@localhost>", "address (localhost)"),
        ("xn--fh-oja.no", "varsel@fhi.no", "(xn--fh-oja.no) must be the domain"),
        ("no", "varsel@fhi.no", "must be a domain name"),
        ("fhi..no", "varsel@fhi.no", "must be a domain name"),
    ],
)
def test_a_signing_domain_that_fails_dmarc_alignment_is_refused(
    domain: str, sender: str, said: str, tmp_path: Path, key_pair: tuple[bytes, bytes]
) -> None:
    # d= must align with the From address's domain (relaxed, RFC 7489 3.1.1): before, any
    # domain was taken, and receivers checking DMARC failed every mail.
    key = tmp_path / "dkim.pem"
    key.write_bytes(key_pair[0])
    with pytest.raises(ValidationError, match=re.escape(said)):
        Settings(
            dkim_selector=SELECTOR, dkim_domain=domain, mail_from=sender, dkim_private_key_path=key
        )
