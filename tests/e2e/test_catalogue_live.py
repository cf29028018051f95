"""``varsel catalogue apply`` against running processes: no restart, every replica follows.

The processes are real (``varsel run`` in subprocesses) and so is the command, run beside them
with the same environment, as an operator or a pipeline would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.support.broker import rabbitmq_namespace
from tests.support.services import fresh_postgres_database, reachable, require
from tests.support.site import FixtureSite, Resource
from tests.support.varsel_process import VarselProcess, varsel_command

PAGE = b"<html><head><title>%s</title></head><body><main><h1>%s</h1><p>%s</p></main></body></html>"


def _catalogue(site: str, *, with_new: bool, interval: str) -> str:
    text = f"""
[[topics]]
slug = "forste-tema"
title = {{ nb = "Første tema", en = "First topic" }}

[[sources]]
url = "{site}/forste"
kind = "page"
topics = ["forste-tema"]
interval = "{interval}"
"""
    if with_new:
        text += f"""
[[topics]]
slug = "nytt-tema"
title = {{ nb = "Nytt tema", en = "A new topic" }}

[[sources]]
url = "{site}/ny"
kind = "page"
topics = ["nytt-tema"]
interval = "{interval}"
"""
    return text


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    served = FixtureSite()
    for path, words in (("/forste", b"Forste side"), ("/ny", b"Ny side")):
        served.set(path, Resource(PAGE % (words, words, b"Innhold som er langt nok. " * 20)))
    served.start()
    yield served
    served.stop()


def _apply(env: dict[str, str], workdir: Path, file: Path) -> str:
    return varsel_command(env, workdir, "catalogue", "apply", str(file))


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.1)
    return time.monotonic() - started


def test_an_applied_file_opens_a_page_and_starts_polling_without_a_restart(
    tmp_path: Path, site: FixtureSite
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(_catalogue(site.base_url, with_new=False, interval="2s"), encoding="utf-8")
    env = {
        "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}",
        "VARSEL_CONFIG": str(config),
    }
    varsel = VarselProcess(tmp_path, env)
    varsel.start()
    try:
        with httpx.Client(base_url=varsel.base_url, timeout=10) as http:
            assert http.get("/subscribe/nytt-tema").status_code == 404
            _wait(lambda: site.hits("/forste") > 0, 60, "the first poll")
            assert site.hits("/ny") == 0

            second = tmp_path / "second.toml"
            second.write_text(
                _catalogue(site.base_url, with_new=True, interval="2s"), encoding="utf-8"
            )
            plan = _apply(varsel.environment, tmp_path, second)
            assert "+ topic nytt-tema: added" in plan and f"+ source {site.base_url}/ny" in plan

            # The same process serves it, with no restart (the bound only ends a hang).
            _wait(lambda: http.get("/subscribe/nytt-tema").status_code == 200, 60, "the new page")
            assert "Nytt tema" in http.get("/subscribe/nytt-tema").text
            _wait(lambda: site.hits("/ny") > 0, 60, "the first poll of the new source")

            # Taking the topic and its source out again ends the topic (its page answers 410 Gone)
            # and stops the polling.
            _apply(varsel.environment, tmp_path, config)
            _wait(lambda: http.get("/subscribe/nytt-tema").status_code == 410, 60, "retirement")
            time.sleep(3)  # a poll already under way may finish
            polls = site.hits("/ny")
            time.sleep(5)
            assert site.hits("/ny") == polls, "a source taken out is still polled"
    finally:
        varsel.stop()
    log = varsel.log()
    assert "catalogue: now at version 2: 2 topics, 2 sources" in log
    # One of each is said as one, not «1 topics» (the version at start, and after the taking out).
    assert "1 topics" not in log and "1 sources" not in log
    assert ": 1 topic, 1 source" in log


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_two_watchers_share_a_new_source_polling_it_once_per_interval(
    tmp_path: Path, site: FixtureSite
) -> None:
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    interval = 3
    with fresh_postgres_database() as database_url, rabbitmq_namespace("varsel-cat") as broker:
        config = tmp_path / "varsel.toml"
        config.write_text(
            _catalogue(site.base_url, with_new=False, interval=f"{interval}s"), encoding="utf-8"
        )
        env = {"VARSEL_DATABASE_URL": database_url, "VARSEL_CONFIG": str(config), **broker}
        watchers = []
        for n in (1, 2):
            workdir = tmp_path / f"watcher-{n}"
            workdir.mkdir()
            watchers.append(
                VarselProcess(workdir, env, "watcher", name=f"watcher-{n}", migrate=n == 1)
            )
        try:
            for watcher in watchers:
                watcher.start()
            _wait(lambda: site.hits("/forste") > 0, 60, "the first poll")
            second = tmp_path / "second.toml"
            second.write_text(
                _catalogue(site.base_url, with_new=True, interval=f"{interval}s"),
                encoding="utf-8",
            )
            # The new page answers slowly, so every poll is under way through two of the other
            # watcher's one-second ticks: without the claim's lock and lease, it would poll too.
            slow = 2.0
            site.set("/ny", replace(site.resources["/ny"], delay=slow))
            _apply(watchers[0].environment, tmp_path, second)
            _wait(lambda: site.hits("/ny") > 0, 60, "the first poll of the new source")

            _wait(lambda: site.hits("/ny") >= 8, 180, "eight polls of the new source")
            # The next poll is due 0.9 to 1.1 intervals after the last one ended, and a busy
            # machine only delays it; a second watcher's poll would come during the answer.
            gaps = site.gaps("/ny")
            assert min(gaps) > slow + interval / 2, [round(g, 2) for g in gaps]
        finally:
            for watcher in watchers:
                watcher.stop()
        for watcher in watchers:
            assert "catalogue: now at version 2" in watcher.log(), watcher.log()[-3000:]
