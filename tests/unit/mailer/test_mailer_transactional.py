"""Confirm (double opt-in) and manage-link mails: transactional, no list headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.mailer.domain.confirm_mail import render_confirm
from services.mailer.domain.manage_link_mail import render_manage_link

SENT_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CONFIRM_URL = "https://varsel.fhi.no/bekreft/s1.abc?lang=nb&x=1"
MANAGE_URL = "https://varsel.fhi.no/administrer/s1.def"
IDENTITY = {"sender": "Folkehelseinstituttet <varsel@fhi.no>", "base_url": "https://www.fhi.no"}


def confirm(env, language="nb", **overrides):
    arguments = (
        {
            "language": language,
            "confirm_url": CONFIRM_URL,
            "topics": ["Norge i verden"],
            "existing_topics": [],
            "frequency": "daily",
            "expires_days": 7,
        }
        | IDENTITY
        | overrides
    )
    return render_confirm(env, **arguments)


def send(mail, to="ny@example.no"):
    return mail.personalise(to=to, links=None, message_id="<k1@varsel.fhi.no>", date=SENT_AT)


CONFIRM_WORDS = {
    "nb": [
        "Bekreft at du vil ha varsler",
        "Noen, forhåpentligvis du, har bedt om varsler på e-post fra www.fhi.no",
        "Norge i verden",
        "Hyppighet: daglig (gjelder alle dine varsler).",
        "Lenken virker i 7 dager.",
        "E-postadressen vil kun bli brukt til å sende ut varslene du har bedt om.",
        "Du får denne e-posten fordi adressen ble registrert for varsler på www.fhi.no.",
        "Hvis du ikke ba om dette, kan du se bort fra e-posten. Da skjer ingenting",
    ],
    "en": [
        "Confirm that you want alerts",
        "Someone, hopefully you, asked www.fhi.no to send email alerts",
        "Norge i verden",
        "Frequency: daily (this affects all your alerts).",
        "The link works for 7 days.",
        "The email address will only be used to send you the alerts you asked for.",
        "You are receiving this email because this address was registered for alerts",
        "If you did not ask for this, you can ignore this email. Then nothing happens",
    ],
}


@pytest.mark.parametrize("language", ["nb", "en"])
def test_confirm_mail_content_and_link(env, parse_mail, language) -> None:
    mail = parse_mail(send(confirm(env, language)))
    assert mail.message["Subject"] == CONFIRM_WORDS[language][0]
    assert mail.message["To"] == "ny@example.no"
    for part in (mail.text, mail.html):
        for phrase in CONFIRM_WORDS[language]:
            assert phrase in part, phrase
    assert CONFIRM_URL in mail.text.splitlines()
    assert set(mail.page.hrefs) == {CONFIRM_URL, f"https://www.fhi.no/?lang={language}"}
    assert mail.page.html_lang == language


@pytest.mark.parametrize(
    ("language", "existing", "ignore"),
    [
        (
            "nb",
            "Du får allerede varsler om «På tvers av sektorer» og «Vaksine». "
            "Bekrefter du, legges «Norge i verden» til.",
            "Da endres ingenting.",
        ),
        (
            "en",
            "You already get alerts about “På tvers av sektorer” and “Vaksine”. "
            "Confirming adds “Norge i verden”.",
            "Then nothing changes.",
        ),
    ],
)
def test_confirm_mail_for_someone_who_already_has_alerts(
    env, parse_mail, language, existing, ignore
) -> None:
    mail = parse_mail(
        send(confirm(env, language, existing_topics=["På tvers av sektorer", "Vaksine"]))
    )
    for part in (mail.text, mail.html):
        assert existing in part
        assert ignore in part
        assert "deleted automatically" not in part and "slettes automatisk" not in part


def test_confirm_mail_says_when_the_frequency_changes_for_all_alerts(env, parse_mail) -> None:
    mail = parse_mail(
        send(
            confirm(
                env, existing_topics=["Vaksine"], frequency="daily", previous_frequency="weekly"
            )
        )
    )
    sentence = "Bekrefter du, endres hyppigheten for alle dine varsler fra ukentlig til daglig."
    assert sentence in mail.text and sentence in mail.html
    same = parse_mail(send(confirm(env, frequency="daily", previous_frequency="daily")))
    assert "endres hyppigheten" not in same.text


@pytest.mark.parametrize("kind", ["confirm", "manage_link"])
def test_transactional_mails_carry_no_list_headers(env, parse_mail, kind) -> None:
    mail = (
        confirm(env)
        if kind == "confirm"
        else render_manage_link(env, language="nb", manage_url=MANAGE_URL, **IDENTITY)
    )
    parsed = parse_mail(send(mail))
    for header in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id"):
        assert parsed.message[header] is None
    assert parsed.message["Auto-Submitted"] == "auto-generated"
    assert parsed.message["Message-ID"] == "<k1@varsel.fhi.no>"
    assert len(parsed.message["To"].addresses) == 1


def test_confirm_topics_with_markup_are_escaped(env, parse_mail) -> None:
    hostile = '<script>x</script>"><img src=x>'
    mail = parse_mail(send(confirm(env, topics=[hostile], existing_topics=[hostile])))
    assert "<script" not in mail.html and "<img" not in mail.html
    assert "img" not in mail.page.tags


def test_confirm_rejects_bad_input(env) -> None:
    with pytest.raises(ValueError):
        confirm(env, topics=[])
    with pytest.raises(ValueError):
        confirm(env, frequency="hourly")
    with pytest.raises(ValueError):
        confirm(env, confirm_url="javascript:alert(1)")
    with pytest.raises(ValueError):
        confirm(env, confirm_url='https://x.no/"><script>')


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nb",
            [
                "Endre varslene dine",
                "Du ba om en lenke for å endre eller avslutte varslene dine fra www.fhi.no.",
                "Lenken virker i 24 timer.",
                "Du får denne e-posten fordi noen ba om en lenke for denne adressen",
                "Hvis det ikke var deg, kan du se bort fra e-posten. Da skjer ingenting",
            ],
        ),
        (
            "en",
            [
                "Change your alerts",
                "You asked for a link to change or cancel your alerts from www.fhi.no.",
                "The link works for 24 hours.",
                "You are receiving this email because someone asked for a link",
                "If it was not you, you can ignore this email. Then nothing happens",
            ],
        ),
    ],
)
def test_manage_link_mail(env, parse_mail, language, words) -> None:
    mail = parse_mail(
        send(
            render_manage_link(
                env, language=language, manage_url=MANAGE_URL, expires_hours=24, **IDENTITY
            )
        )
    )
    for part in (mail.text, mail.html):
        for phrase in words:
            assert phrase in part, phrase
    assert MANAGE_URL in mail.text.splitlines()
    assert set(mail.page.hrefs) == {MANAGE_URL, f"https://www.fhi.no/?lang={language}"}
    assert "img" not in mail.page.tags


def test_manage_link_without_expiry_says_nothing_about_it(env, parse_mail) -> None:
    mail = parse_mail(
        send(render_manage_link(env, language="nb", manage_url=MANAGE_URL, **IDENTITY))
    )
    assert "Lenken virker" not in mail.text
