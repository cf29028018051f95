"""The W3C Nu HTML checker (vnu.jar, from the vnu-jar npm package), run once over many documents.

The checker is a Java program that takes seconds to start, so a test session hands it every
document at once. ``make test`` fetches the jar into .venv/vnu (see the Makefile); the tests
skip with the reason when Java or the jar is missing, and fail instead under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
_CANARY = "a document with a duplicate id"
DEFAULT_JAR = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@dataclass(frozen=True)
class Problem:
    """One error the checker reported in a document."""

    line: int
    message: str
    extract: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message} ({self.extract.strip()!r})"


def checker_jar() -> Path:
    """Return the checker's jar; skip (or fail under CI) when it or Java is missing."""
    jar = Path(os.environ.get("VARSEL_VNU_JAR", DEFAULT_JAR))
    require(shutil.which("java") is not None, "Java (for the W3C HTML checker)")
    require(jar.is_file(), f"the W3C HTML checker at {jar} (`make test` fetches it with npm)")
    return jar


def check_documents(documents: dict[str, str], folder: Path) -> dict[str, list[Problem]]:
    """Check every document in one run of the checker; return each one's errors by name."""
    jar = checker_jar()
    # A document with a known error proves the checker read the files and reports what it finds.
    canary = '<!DOCTYPE html><html lang="nb"><title>x</title><p id="a" id="b">x</p></html>'
    files = {str((folder / "canary.html").resolve()): _CANARY}
    (folder / "canary.html").write_text(canary, encoding="utf-8")
    for number, (name, html) in enumerate(sorted(documents.items())):
        path = (folder / f"{number:03d}.html").resolve()
        path.write_text(html, encoding="utf-8")
        files[str(path)] = name
    finished = subprocess.run(
        ["java", "-jar", str(jar), "--format", "json", "--stdout", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    problems: dict[str, list[Problem]] = {name: [] for name in [_CANARY, *documents]}
    for message in json.loads(finished.stdout)["messages"]:
        if message.get("type") != "error":
            continue  # info and warnings: the requirement is zero errors
        name = files[message["url"].removeprefix("file:")]
        problems[name].append(
            Problem(message.get("lastLine", 0), message["message"], message.get("extract", ""))
        )
    assert problems.pop(_CANARY), f"the checker reported nothing, not even:\n{canary}"
    return problems
