"""A CMS pushes: only HTTP in, only HTTP and SMTP out, with varsel running as its own process.

An operator issues a publisher token in the admin; the same change pushed twice, and raced,
gives every subscriber one alert; a minor change alerts nobody; a check polls the page at once;
the documented WordPress mu-plugin's request, run by PHP, is taken in. On SQLite and PostgreSQL,
and the check in the distributed mode (admin and watcher apart, on RabbitMQ).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.e2e.publisher_support import issue_token, signed_in
from tests.support.broker import rabbitmq_namespace
from tests.support.journey import subscribe_and_confirm, wait_until
from tests.support.services import fresh_postgres_database, reachable, require
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import Mailbox, Received, SmtpServer
from tests.support.varsel_process import VarselProcess

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "docs" / "examples" / "wordpress" / "varsel-publisher.php"
WORDPRESS = Path(__file__).resolve().parent / "wordpress" / "publish_post.php"
TOPIC = "norge-i-verden"
PEOPLE = ("kari@example.no", "ola@example.no")
CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}

[[sources]]
url = "{url}"
kind = "page"
topics = ["norge-i-verden"]
interval = "1d"

[[sources]]
url = "{reviewed}"
kind = "page"
topics = ["norge-i-verden"]
interval = "1d"
mode = "review"
"""
PAGE = "<html><head><title>Norge i verden</title></head><body><main><h1>Norge i verden</h1>"
PAGE += (
    "<p>Samarbeid på tvers av landegrensene er avgjørende for god helse.</p></main></body></html>"
)


def alerts_about(mailbox: Mailbox, words: str) -> list[Received]:
    """Return the alerts received so far whose text says ``words``."""
    found = []
    for mail in list(mailbox.messages):
        plain = mail.message.get_body(preferencelist=("plain",))
        if plain is not None and words in plain.get_content():
            found.append(mail)
    return found


def _sites(fixtures: str) -> tuple[str, ...]:
    """The sites the CMS's token is issued for: the fixture server's, and the news page's."""
    return (fixtures, "https://www.example.no")


def push(client: httpx.Client, token: str, key: str, **change: object) -> httpx.Response:
    body = {"topics": [TOPIC], "url": "https://www.example.no/nyheter/1", **change}
    return client.post(
        "/api/v1/changes",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def test_pushed_twice_and_raced_alerts_each_person_once(
    database_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    site = FixtureSite()
    site.set("/norge-i-verden", Resource(PAGE.encode()))
    site.start()
    page_url = f"{site.base_url}/norge-i-verden"
    reviewed = f"{site.base_url}/til-vurdering"
    site.set("/til-vurdering", Resource(PAGE.encode()))
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(url=page_url, reviewed=reviewed), encoding="utf-8")
    varsel = VarselProcess(
        tmp_path,
        {
            "VARSEL_DATABASE_URL": database_url,
            "VARSEL_SMTP_URL": smtp.url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
        },
    )
    varsel.start()
    try:
        token = issue_token(varsel, tmp_path, _sites(site.base_url))
        with httpx.Client(base_url=varsel.base_url, timeout=30) as client:
            for address in PEOPLE:
                subscribe_and_confirm(client, smtp.mailbox, TOPIC, address, "immediate")
            confirmations = len(smtp.mailbox.messages)

            change = {"title": "Ny rapport om global helse", "note": "Les kapittel tre."}
            first = push(client, token, "cms-1", **change)
            again = push(client, token, "cms-1", **change)
            with ThreadPoolExecutor(6) as pool:
                raced = list(pool.map(lambda _: push(client, token, "cms-2", **change), range(6)))
            assert first.status_code == again.status_code == 202, first.text
            assert again.json() == {**first.json(), "replayed": True}
            assert [r.status_code for r in raced] == [202] * 6
            assert len({r.json()["change_id"] for r in raced}) == 1
            minor = push(client, token, "cms-3", title="Skrivefeil rettet", minor=True)
            assert minor.status_code == 202 and minor.json()["minor"] is True
            # A last change, pushed after the others: once its alerts are in, theirs are too.
            last = push(client, token, "cms-4", title="Siste endring", note="Barrieren.")
            assert last.status_code == 202
            wait_until(
                lambda: len(alerts_about(smtp.mailbox, "Barrieren.")) == len(PEOPLE),
                60,
                "the last change's alerts",
            )
            # Two keys, two changes; each person got one alert per key, none for the minor one.
            per_person = sorted(m.recipients[0] for m in alerts_about(smtp.mailbox, "kapittel"))
            assert per_person == sorted(PEOPLE * 2)
            assert alerts_about(smtp.mailbox, "Skrivefeil") == []
            assert len(smtp.mailbox.messages) == confirmations + 3 * len(PEOPLE)

            # A push for a source in review mode waits on the editors' desk, unsent.
            held = push(client, token, "cms-r", url=reviewed, title="Til vurdering", note="Venter.")
            assert held.status_code == 202 and isinstance(held.json()["source_id"], int)
            after = push(client, token, "cms-r2", title="Etter vurderingen", note="Barriere r.")
            assert after.status_code == 202
            wait_until(
                lambda: len(alerts_about(smtp.mailbox, "Barriere r.")) == len(PEOPLE),
                60,
                "the alerts pushed after the held change",
            )
            assert alerts_about(smtp.mailbox, "Venter.") == []
            with signed_in(varsel) as staff:
                desk = staff.get("/admin/desk")
            assert desk.status_code == 200 and "Til vurdering" in desk.text

            # The watched page's address names its source; a check polls it now, not in a day.
            watched = push(client, token, "cms-5", url=page_url, title="Norge i verden", minor=True)
            source_id = watched.json()["source_id"]
            assert isinstance(source_id, int)
            hits = site.hits("/norge-i-verden")
            check = client.post(
                f"/api/v1/sources/{source_id}/check", headers={"Authorization": f"Bearer {token}"}
            )
            assert check.status_code == 202, check.text
            wait_until(lambda: site.hits("/norge-i-verden") > hits, 30, "the checked poll")
            unknown = client.post(
                "/api/v1/sources/424242/check", headers={"Authorization": f"Bearer {token}"}
            )
            # As another body's source would be: the token learns nothing of which exist.
            assert unknown.status_code == 403 and "or there is no such source" in unknown.text

            # The WordPress mu-plugin in docs/publishing.md, run by PHP against this varsel.
            if shutil.which("php") is None:
                require(False, "php-cli, to run the documented WordPress mu-plugin")
            post = {
                "ID": 7,
                "post_type": "post",
                "post_title": "Vaksiner & samarbeid - Afrika's helse",
                "post_excerpt": "",
                "post_content": "<p>Et nytt partnerskap om overvåking, 'helt' nytt.</p>",
                "post_modified_gmt": "2026-12-04 21:00:00",
                "permalink": "https://www.example.no/2026/12/vaksinesamarbeid",
            }
            wordpress_env = {
                **os.environ,
                "VARSEL_API": varsel.base_url,
                "VARSEL_TOKEN": token,
                "VARSEL_TOPICS": TOPIC,
            }
            for _ in range(2):  # the same save twice (a retry): one alert each
                ran = subprocess.run(
                    ["php", str(WORDPRESS), str(PLUGIN), json.dumps(post)],
                    capture_output=True,
                    text=True,
                    env=wordpress_env,
                    timeout=60,
                    check=False,
                )
                assert ran.returncode == 0, ran.stderr
                (answer,) = json.loads(ran.stdout)
                assert answer["response"]["code"] == 202, answer
            wait_until(
                lambda: len(alerts_about(smtp.mailbox, "partnerskap om overvåking")) == 2,
                60,
                "the WordPress post's alerts",
            )
            last = push(client, token, "cms-6", title="Etter WordPress", note="Barriere to.")
            wait_until(
                lambda: len(alerts_about(smtp.mailbox, "Barriere to.")) == len(PEOPLE),
                60,
                "the alerts after the WordPress post",
            )
            wordpress = alerts_about(smtp.mailbox, "partnerskap om overvåking")
            assert sorted(m.recipients[0] for m in wordpress) == sorted(PEOPLE)
            # What WordPress gives a theme to print (&#038;, &#8217;, [&hellip;]) reaches
            # people as the characters it stands for.
            subject = str(wordpress[0].message["Subject"])
            assert "Vaksiner & samarbeid \u2013 Afrika\u2019s helse" in subject, subject
            plain = wordpress[0].message.get_body(preferencelist=("plain",))
            assert plain is not None
            assert "overvåking, \u2019helt\u2019 nytt. [\u2026]" in plain.get_content()
            assert "&#" not in plain.get_content() and "&hellip;" not in plain.get_content()
    finally:
        varsel.stop()
        site.stop()


def test_a_check_through_the_admin_reaches_a_watcher_of_its_own_on_rabbitmq(
    tmp_path: Path,
) -> None:
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    site = FixtureSite()
    site.set("/norge-i-verden", Resource(PAGE.encode()))
    site.start()
    page_url = f"{site.base_url}/norge-i-verden"
    config = tmp_path / "varsel.toml"
    catalogue = CATALOGUE.format(url=page_url, reviewed=f"{site.base_url}/til-vurdering")
    config.write_text(catalogue, encoding="utf-8")
    processes: list[VarselProcess] = []
    with fresh_postgres_database() as url, rabbitmq_namespace() as broker:
        env = {"VARSEL_DATABASE_URL": url, "VARSEL_CONFIG": str(config), **broker}
        for service in ("admin", "watcher"):
            (tmp_path / service).mkdir()
        staff = VarselProcess(tmp_path / "admin", env, "admin", name="admin")
        watcher = VarselProcess(tmp_path / "watcher", env, "watcher", name="watcher", migrate=False)
        try:
            staff.start()
            processes.append(staff)
            watcher.start()
            processes.append(watcher)
            token = issue_token(staff, tmp_path, _sites(site.base_url))
            wait_until(lambda: site.hits("/norge-i-verden") >= 1, 30, "the first poll")
            with httpx.Client(base_url=staff.base_url, timeout=30) as client:
                watched = push(
                    client, token, "cms-1", url=page_url, title="Norge i verden", minor=True
                )
                assert watched.status_code == 202, watched.text
                hits = site.hits("/norge-i-verden")
                check = client.post(
                    f"/api/v1/sources/{watched.json()['source_id']}/check",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert check.status_code == 202, check.text
            wait_until(lambda: site.hits("/norge-i-verden") > hits, 30, "the checked poll")
        finally:
            for process in reversed(processes):
                process.stop()
            site.stop()
