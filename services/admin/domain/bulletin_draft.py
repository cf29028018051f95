"""What an editor's bulletin form must hold before it is sent or tested: the rules, pure."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from shared.carried_text import carried_line, carried_text, typed_invisible
from shared.events import BULLETIN_BODY_MAX, BULLETIN_LANGUAGES, BULLETIN_SUBJECT_MAX
from shared.vocabulary import Language

# The languages a bulletin may be written in, in the order the form shows them.
FORM_LANGUAGES: Final = (Language.NB, Language.NN, Language.EN)


class SendMode(StrEnum):
    """When a bulletin reaches people who get digests."""

    NEXT_MAILS = "next"  # immediate people now, digest people in their next digest
    URGENT = "urgent"  # everyone now, whatever their rhythm


# Where a link in a mail can lead, read in any mail program: a whole web address, an email
# address or a telephone number. A relative link (/side, www.fhi.no) leads nowhere from a
# mailbox; the mailer shows javascript:, vbscript: and data: links as bare Markdown text.
_FOLLOWABLE: Final = ("https://", "http://", "mailto:", "tel:")


class _EveryLink(MarkdownIt):
    """The mailer's Markdown (CommonMark, no raw HTML) that also reads the links it refuses."""

    def validateLink(self, url: str) -> bool:
        """Take every link, so that the form can name those no mail would carry."""
        return True


_LINKS: Final = _EveryLink("js-default")


class DraftRefused(ValueError):
    """The form cannot be sent as it is; ``reason`` is the key of the message that says why,
    ``field`` the form field it is about (``body_nb``), if one. ``refusals`` holds it and each
    other field's refusal of the same form, one a field, so that the page names them all."""

    def __init__(
        self, reason: str, detail: str = "", field: str = "", others: Sequence[DraftRefused] = ()
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.field = field
        self.refusals: tuple[DraftRefused, ...] = (self, *others)


@dataclass(frozen=True, slots=True)
class BulletinDraft:
    """A bulletin as the editor wrote it, checked."""

    bulletin_id: uuid.UUID
    topics: tuple[str, ...]
    texts: dict[str, dict[str, str]]  # language -> {"subject", "body"}
    mode: SendMode

    @property
    def urgent(self) -> bool:
        """Tell whether it overrides digests."""
        return self.mode is SendMode.URGENT


def read_topics(topics: Collection[str], known_topics: Collection[str]) -> tuple[str, ...]:
    """Return the ticked topics once each, in order (raises DraftRefused if none or unknown)."""
    chosen = tuple(dict.fromkeys(topics))
    if not chosen:
        raise DraftRefused("bulletin_no_topics", field="topics")
    unknown = [slug for slug in chosen if slug not in known_topics]
    if unknown:
        raise DraftRefused("bulletin_unknown_topic", ", ".join(unknown)[:200], "topics")
    return chosen


def unfollowable_link(body: str) -> str | None:
    """Return the first link or image of a Markdown body that a reader could not follow from a
    mail, or None if every one leads somewhere."""
    for block in _LINKS.parse(body):
        for token in block.children or ():
            if token.type in ("link_open", "image"):
                target = str(token.attrGet("href") or token.attrGet("src") or "")
                if not _leads_somewhere(target):
                    return target
    return None


def _leads_somewhere(target: str) -> bool:
    """Tell whether a link is a whole address: a web address naming a host, a mail address,
    a telephone number. The scheme alone («https://», «mailto:», «tel:») opens nothing."""
    lowered = target.lower()
    if not lowered.startswith(_FOLLOWABLE):
        return False
    if lowered.startswith(("mailto:", "tel:")):
        rest = target.split(":", 1)[1].split("?", 1)[0]
        return "@" in rest if lowered.startswith("mailto:") else any(c.isdigit() for c in rest)
    try:
        return bool(urlsplit(target).hostname)
    except ValueError:  # a broken address, such as an unclosed [ in its host
        return False


def _invisible(typed: str, what: str, language: Language, field: str) -> DraftRefused | None:
    """Refuse a text holding a noncharacter, which no mail can show, or a direction control,
    which makes what follows it show in another order than it is stored, naming the code point:
    left out unseen, the editor's words would go out other than they wrote and tested them."""
    if (found := typed_invisible(typed)) is not None:
        kind, character = found
        return DraftRefused(f"bulletin_{what}_{kind}", f"{language.value}: {character}", field)
    return None


def _read_text(
    fields: Mapping[str, str], language: Language, refused: dict[str, DraftRefused]
) -> dict[str, str] | None:
    """Return a language's checked subject and body, or None if left out or refused; each
    refused field's first refusal goes into ``refused``."""
    subject_field, body_field = f"subject_{language}", f"body_{language}"
    typed_subject, typed_body = fields.get(subject_field, ""), fields.get(body_field, "")
    before = len(refused)
    for problem in (
        _invisible(typed_subject, "subject", language, subject_field),
        _invisible(typed_body, "body", language, body_field),
    ):
        if problem is not None:
            refused[problem.field] = problem
    # Text pasted from elsewhere can carry control characters, which no mail should
    # (shared/carried_text.py): left out, as from every change.
    subject = carried_line(typed_subject)
    body = carried_text(typed_body.replace("\r\n", "\n")).strip()
    if not subject and not body and language not in BULLETIN_LANGUAGES:
        return None  # nynorsk left out: its readers get the bokmål text

    def refuse(reason: str, detail: str, field: str) -> None:
        refused.setdefault(field, DraftRefused(reason, detail, field))

    if not subject:
        refuse("bulletin_missing_text", language.value, subject_field)
    if not body:
        refuse("bulletin_missing_text", language.value, body_field)
    if len(subject) > BULLETIN_SUBJECT_MAX:
        refuse("bulletin_subject_too_long", language.value, subject_field)
    if len(body) > BULLETIN_BODY_MAX:
        refuse("bulletin_body_too_long", language.value, body_field)
    elif (link := unfollowable_link(body)) is not None:
        refuse("bulletin_bad_link", f"{language.value}: {link[:200]}", body_field)
    return {"subject": subject, "body": body} if len(refused) == before else None


def read_draft(
    fields: Mapping[str, str], topics: Collection[str], known_topics: Collection[str]
) -> BulletinDraft:
    """Return the checked bulletin of a posted form (raises DraftRefused naming the problem).

    ``fields`` holds ``bulletin_id``, ``mode`` and ``subject_<lang>``/``body_<lang>``;
    ``topics`` the ticked topics. nb and en are required; nn is optional but whole. A refusal
    names every wrong field at once (``DraftRefused.refusals``), in the form's order.
    """
    try:
        bulletin_id = uuid.UUID(fields.get("bulletin_id", ""))
    except ValueError:
        raise DraftRefused("bad_form") from None
    refused: dict[str, DraftRefused] = {}
    chosen: tuple[str, ...] = ()
    try:
        chosen = read_topics(topics, known_topics)
    except DraftRefused as problem:
        refused[problem.field] = problem
    texts: dict[str, dict[str, str]] = {}
    for language in FORM_LANGUAGES:
        if (text := _read_text(fields, language, refused)) is not None:
            texts[language.value] = text
    try:
        mode = SendMode(fields.get("mode", ""))
    except ValueError:
        refused["mode"] = DraftRefused("bulletin_no_mode", field="mode")
    if refused:
        first, *others = refused.values()
        raise DraftRefused(first.reason, first.detail, first.field, others)
    return BulletinDraft(bulletin_id, chosen, texts, mode)
