"""RSA keys made for a test alone, in the PEM form a DKIM key file holds."""

from __future__ import annotations

import base64
import math
import secrets


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
