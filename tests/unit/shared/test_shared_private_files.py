"""What varsel writes to disk in embedded mode is readable by its own user only."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from services.mailer.adapters.file_sender import FileMailSender
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> object:
    """Run under the umask most systems have (022), which leaves new files world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_var_directory_and_the_database_are_private(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    upgrade(settings.resolved_database_url)  # `varsel migrate`: the first to touch the file
    runtime = build_runtime(settings)
    asyncio.run(runtime.close())

    assert _mode(tmp_path / "var") == 0o700
    database = tmp_path / "var" / "varsel.db"
    assert _mode(database) == 0o600
    for journal in (tmp_path / "var").glob("varsel.db-*"):  # WAL and shared memory, if left
        assert _mode(journal) == 0o600, journal.name


def test_a_var_directory_and_database_left_open_by_an_older_version_are_closed(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    settings = Settings(var_dir=var)
    upgrade(settings.resolved_database_url)
    (var / "varsel.db").chmod(0o644)

    upgrade(settings.resolved_database_url)
    asyncio.run(build_runtime(settings).close())

    assert _mode(var) == 0o700
    assert _mode(var / "varsel.db") == 0o600


def test_an_explicit_sqlite_file_is_created_private(tmp_path: Path) -> None:
    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}")
    assert _mode(tmp_path / "elsewhere.db") == 0o600


def test_the_outbox_folder_and_every_mail_in_it_are_private(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "outbox"
    sender = FileMailSender(outbox)

    asyncio.run(sender.send("varsel@example.no", "kari@example.no", b"Subject: hei\r\n\r\nhei\r\n"))

    assert _mode(tmp_path / "var") == 0o700
    assert _mode(outbox) == 0o700
    (mail,) = outbox.glob("*.eml")
    assert _mode(mail) == 0o600
    assert mail.read_bytes().endswith(b"hei\r\n")


def test_a_mail_the_disk_has_no_room_for_leaves_no_part_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, each try on a full disk left its half-written file (address and all) under a name
    # of its own, which neither the retention of the outbox nor anything else deleted.
    import errno

    from services.mailer.adapters import file_sender

    def full_disk(path: Path, data: bytes) -> None:
        with path.open("wb") as target:
            target.write(data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(file_sender, "write_private_file", full_disk)
    outbox = tmp_path / "outbox"
    sender = FileMailSender(outbox)
    for _ in range(3):  # the mailer tries again later
        with pytest.raises(OSError, match="No space left"):
            asyncio.run(sender.send("a@fhi.no", "kari@example.org", b"To: kari@example.org\r\n"))
    assert list(outbox.iterdir()) == []
