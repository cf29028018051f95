"""What a process carries from start: only what its work needs.

Every role runs from the one ``varsel`` package, so a module imported by all of them must not
do one role's heavy work at import. Each check runs in a fresh interpreter, where nothing
imported by the test session can hide what an import brings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# argon2's hash takes 64 MiB (its memory cost); every other part of the import is far less.
ARGON2_MIB = 64


def fresh(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter at the project's root; return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def test_importing_the_admin_hashes_no_password() -> None:
    # The hash an unknown name is checked against used to be made at import: argon2's 64 MiB
    # and a third of a second in every process (the mailer's, the watcher's, each command).
    # The peak is read from /proc (VmHWM, this process's own): getrusage's ru_maxrss starts
    # from the test runner's, which a child inherits across exec.
    figures = fresh(
        "import json, re\n"
        "import argon2\n"
        "def peak():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
        "before = peak()\n"
        "import services.admin.adapters.passwords\n"
        "print(json.dumps({'grew_mib': (peak() - before) / 1024}))"
    )
    assert isinstance(figures["grew_mib"], float)
    assert figures["grew_mib"] < ARGON2_MIB / 2


def test_the_catalogues_apply_brings_no_page_readers_beside_the_mailer() -> None:
    # The catalogue's apply (varsel/live_catalogue.py) and the mailer import none of the
    # watcher's readers (pages, feeds, PDFs): through the apply they were 37 MiB more in the
    # fan-out benchmark's process. The served `varsel` program imports every service, readers
    # included, so this holds for these imports, not for that program.
    figures = fresh(
        "import json, sys\n"
        "import services.admin.catalogue, services.mailer.bootstrap\n"
        "readers = ('trafilatura', 'pypdf', 'feedparser', 'services.watcher.domain.content')\n"
        "print(json.dumps({'loaded': [m for m in readers if m in sys.modules]}))"
    )
    assert figures["loaded"] == []


def test_signing_in_still_checks_an_unknown_name_against_a_real_hash() -> None:
    # Made lazily now: the first check of an unknown name must still verify, and fail.
    figures = fresh(
        "import asyncio, json\n"
        "from services.admin.adapters import passwords\n"
        "print(json.dumps({'unknown': asyncio.run(passwords.matches(None, 'anything'))}))"
    )
    assert figures["unknown"] is False
