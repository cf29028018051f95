"""Handing mail to the world: SMTP over a small pool of reused connections, or .eml files.

Addresses pass through here but are never logged.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib


class SendFailure(Exception):
    """A message did not go through; ``code`` is the SMTP reply code when there was one."""

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code


class TemporaryFailure(SendFailure):
    """The mail may go through later (4xx, dropped connection)."""


class ServerUnavailable(TemporaryFailure):
    """No connection to the SMTP server at all: nothing can go now, through no fault of the mail."""


class PermanentFailure(SendFailure):
    """The server refused this recipient or message for good (5xx)."""


class MailSender(Protocol):
    """Delivers one message to one recipient."""

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Send; raise TemporaryFailure or PermanentFailure when it does not go through."""

    async def close(self) -> None:
        """Release connections."""


class FileMailSender:
    """Writes each message as an .eml file (the embedded default when no SMTP server is set)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Write the message atomically so readers never see half a file."""
        await asyncio.to_thread(self._write, message)

    def _write(self, message: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.eml"
        temporary = self._directory / f".{name}.tmp"
        temporary.write_bytes(message)
        os.replace(temporary, self._directory / name)

    async def close(self) -> None:
        """Nothing to release."""


class SmtpMailSender:
    """Sends over SMTP with up to ``pool_size`` reused connections."""

    def __init__(self, url: str, *, pool_size: int = 4, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
            raise ValueError(
                "VARSEL_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
                "or smtps://user:pass@host:465"
            )
        self._host = parts.hostname
        self._port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        self._implicit_tls = parts.scheme == "smtps"
        self._starttls = parts.scheme == "smtp+starttls"
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self._slots = asyncio.Semaphore(pool_size)
        self._tls = ssl.create_default_context()

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            use_tls=self._implicit_tls,
            start_tls=self._starttls,
            tls_context=self._tls if (self._implicit_tls or self._starttls) else None,
        )
        await client.connect()
        if self._username and self._password:
            await client.login(self._username, self._password)
        return client

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Send one message on a pooled connection, mapping replies to failure kinds."""
        async with self._slots:
            client = None
            try:
                client = self._reusable()
                if client is None:
                    try:
                        client = await self._connect()
                    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                        raise ServerUnavailable(
                            f"cannot reach the SMTP server: {type(exc).__name__}"
                        ) from exc
                await _transaction(client, sender, recipient, message)
            except ServerUnavailable:
                raise
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [r.code for r in exc.recipients]
                raise _failure(codes[0] if codes else 550, "recipient refused") from exc
            except aiosmtplib.SMTPResponseException as exc:
                # 421 means the server is closing the connection; otherwise it can be reused
                # for the next message after RSET.
                if exc.code == 421:
                    await _drop(client)
                else:
                    await _reset(client)
                    if client is not None and client.is_connected:
                        self._idle.put_nowait(client)
                client = None
                raise _failure(exc.code, exc.message) from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await _drop(client)
                client = None
                raise TemporaryFailure(f"SMTP connection problem: {type(exc).__name__}") from exc
            except BaseException:
                await _drop(client)
                client = None
                raise
            if client is not None:
                self._idle.put_nowait(client)

    def _reusable(self) -> aiosmtplib.SMTP | None:
        """Return an idle connection that is still open; the server may have timed others out."""
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                return client
            client.close()
        return None

    async def close(self) -> None:
        """Quit every pooled connection."""
        while not self._idle.empty():
            client = self._idle.get_nowait()
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


async def _transaction(
    client: aiosmtplib.SMTP, sender: str, recipient: str, message: bytes
) -> None:
    """Send MAIL, RCPT and DATA for one recipient."""
    if client.is_ehlo_or_helo_needed or not (sender.isascii() and recipient.isascii()):
        # First mail on a connection (EHLO) or an address that needs SMTPUTF8: the full path.
        errors, _ = await client.sendmail(sender, [recipient], message)
        if errors:
            code, _text = next(iter(errors.values()))
            raise _failure(code, "recipient refused")
        return
    # Addresses were checked at sign-up; aiosmtplib's parsing of them on every mail cost a
    # fifth of the CPU of a fan-out (docs/benchmarks.md). The client still refuses CR and LF.
    response = await client.execute_command(b"MAIL", b"FROM:<" + sender.encode("ascii") + b">")
    if response.code != 250:
        raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
    response = await client.execute_command(b"RCPT", b"TO:<" + recipient.encode("ascii") + b">")
    if response.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
    await client.data(message)


_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


def _failure(code: int, text: str) -> SendFailure:
    # Servers often repeat the recipient in their reply; the ledger must not keep addresses.
    detail = _ADDRESS.sub("<address>", f"SMTP {code}: {text}")[:500]
    if 400 <= code < 500:
        return TemporaryFailure(detail, code)
    return PermanentFailure(detail, code)


async def _reset(client: aiosmtplib.SMTP | None) -> None:
    if client is None or not client.is_connected:
        return
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


async def _drop(client: aiosmtplib.SMTP | None) -> None:
    if client is not None:
        client.close()


def build_sender(smtp_url: str, outbox_dir: Path, pool_size: int) -> MailSender:
    """Choose SMTP when a URL is configured, else .eml files."""
    if smtp_url:
        return SmtpMailSender(smtp_url, pool_size=pool_size)
    return FileMailSender(outbox_dir)
