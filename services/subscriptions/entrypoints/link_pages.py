"""Routes of the links in mails: confirm and manage (unsubscribe and one-click: ``end_pages``).

Their forms need no CSRF cookie. A form here posts to the address of the link it was shown at,
and that address holds a signed token scoped to its purpose (``shared/tokens.py``): only someone
who holds the link can name it, and a cross-site page cannot forge or read it (no page sends a
Referer, ``shared/web/headers.py``). The token is exactly what a CSRF check would add: proof that
the post comes from whoever was shown the page. Whoever holds the link can already do the same
without a browser (``POST /api/v1/confirmations/{token}``, ``DELETE /api/v1/subscribers/{token}``),
so a cookie keeps nobody out, and it kept out every person whose browser blocks cookies: each
press said the form was too old. A post with no valid token changes nothing, as before. The
forms that carry no such token (sign-up, the manage-link request) keep their CSRF check.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from services.subscriptions import handlers
from services.subscriptions.domain.model import Preferences
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from services.subscriptions.entrypoints.end_pages import END_ALL, ERASE, end_or_erase
from services.subscriptions.entrypoints.web import (
    SubscriptionsWeb,
    Web,
    chosen_language,
    ended_views,
    field,
    invalid_link,
    language_of,
    no_such_topic,
    no_unsubscribe,
    pressed,
    shown_notice,
    topic_view,
    topic_views,
)
from services.subscriptions.entrypoints.wording import (
    CHANGED_MEANWHILE,
    CHOOSE_FREQUENCY,
    FORM_NOT_VALID,
    FORM_TOO_OLD,
    NOTICE_CHANGED,
    TOPIC_NOT_OFFERED,
)
from shared.i18n.negotiation import language_of_tag
from shared.vocabulary import Frequency
from shared.web.forms import read_form

router = APIRouter()

SAVE = "save"  # the manage page's button that saves topics and frequency


def _confirm_page(
    web: SubscriptionsWeb,
    request: Request,
    token: str,
    pending: handlers.Pending,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    """Show what pressing the button confirms: topics, frequency, language, privacy notice."""
    sign_up = pending.request
    language = chosen_language(request, sign_up.language)
    # The very topics the button confirms and the ledger records (handlers.Pending).
    topics = topic_views(web, pending.topics, language)
    if not topics:
        # Every topic asked for has ended since the mail was sent: a button would confirm
        # nothing. The answer is the ended topic's own page, naming what to follow instead.
        return no_such_topic(web, request, sign_up.topics[0], language)
    return web.pages.render(
        request,
        "confirm.html",
        language,
        token=token,
        topics=topics,
        frequency=sign_up.frequency,
        alerts_language=sign_up.language,
        notice_version=pending.notice_version,
        status_code=status_code,
        error=error,
        csrf=False,
    )


def _already_confirmed(
    web: SubscriptionsWeb, request: Request, already: handlers.AlreadyConfirmed
) -> HTMLResponse:
    """Say the sign-up was confirmed before, and whether alerts go out now; no manage link:
    the confirm link may have been forwarded."""
    language = chosen_language(request, already.language)
    return web.pages.render(
        request, "already_confirmed.html", language, fixed=True, alerts=already.alerts
    )


async def _not_pending(web: SubscriptionsWeb, request: Request, token: str) -> HTMLResponse:
    """Answer a confirm link that confirms nothing more: confirmed before, or not valid."""
    already = await handlers.already_confirmed(web.uow(), web.deps, token)
    if already is not None:
        return _already_confirmed(web, request, already)
    return invalid_link(web, request, language_of(request))


@router.get("/confirm/{token}", response_class=HTMLResponse)
async def confirm_page(token: str, request: Request, web: Web) -> HTMLResponse:
    """Show what the sign-up holds and the confirm button; following the link changes nothing."""
    pending = await handlers.pending_confirmation(web.uow(), web.deps, token)
    if pending is None:
        return await _not_pending(web, request, token)
    return _confirm_page(web, request, token, pending)


@router.post("/confirm/{token}", response_class=HTMLResponse)
async def confirm(token: str, request: Request, web: Web) -> HTMLResponse:
    """Confirm what the page showed, and show what the person now gets alerts about."""
    form = await read_form(request)
    shown = field(form, "privacy_version")
    if not shown:  # a page from before the notice's version was shown, or a forged post
        pending = await handlers.pending_confirmation(web.uow(), web.deps, token)
        if pending is None:
            return await _not_pending(web, request, token)
        return _confirm_page(web, request, token, pending, status_code=400, error=FORM_TOO_OLD)
    # The topics the page listed, as its hidden fields carry them: only those start (the
    # handler keeps those the sign-up asked for and still offered), not what is offered now.
    listed = [v for v in form.getlist("topics") if isinstance(v, str)]
    outcome = await handlers.confirm(
        web.uow(), web.deps, token, notice_version=shown, shown_topics=listed
    )
    if outcome is None:
        return invalid_link(web, request, language_of(request))
    if isinstance(outcome, handlers.AlreadyConfirmed):
        # A second press (the browser shows its answer), or the page pressed again later.
        return _already_confirmed(web, request, outcome)
    if isinstance(outcome, handlers.NoticeChanged):
        return _confirm_page(
            web, request, token, outcome.pending, status_code=409, error=NOTICE_CHANGED
        )
    if isinstance(outcome, handlers.TopicsNotShown):
        # A page from before the form named its topics (a tab left open over an upgrade), or a
        # forged post: shown again as it is now, and one more press confirms what it lists.
        return _confirm_page(
            web, request, token, outcome.pending, status_code=400, error=FORM_TOO_OLD
        )
    if isinstance(outcome, handlers.TopicsEnded):
        return no_such_topic(web, request, outcome.topics[0], language_of(request))
    # In the language the page was read in (``?lang=``, which its form posts to), else the
    # person's, as the already-confirmed answer is.
    language = chosen_language(request, outcome.language)
    topics = topic_views(web, outcome.topics, language)
    manage_token = web.deps.signer.sign("manage", outcome.subscriber_id, web.deps.clock.now())
    return web.pages.render(
        request,
        "confirmed.html",
        language,
        topics=topics,
        ended=ended_views(web, outcome.ended_since_shown, language),
        manage_token=manage_token,
        csrf=False,
    )


@router.get("/manage/{token}", response_class=HTMLResponse)
async def manage_page(token: str, request: Request, web: Web) -> HTMLResponse:
    """Show a person's topics and frequency with forms to change, end or erase."""
    person = await handlers.preferences(web.uow(), web.deps, token)
    if person is None:
        return await no_unsubscribe(web, request, token, ("manage",))
    return _manage(web, request, token, person, current=list(person.topics))


def _manage(
    web: SubscriptionsWeb,
    request: Request,
    token: str,
    person: Preferences,
    *,
    current: list[str],
    errors: dict[str, str] | None = None,
    refused: bool = False,
    frequency: Frequency | None = None,
) -> HTMLResponse:
    """Render the manage page: the frequency (``frequency``, else the person's), the topics
    ticked, the privacy notice a save is given under, and any errors.

    An undeliverable address's page has no form to save (nothing started would be sent) but
    says why and how to sign up again; ``refused``: a save was posted anyway (409).
    """
    language = chosen_language(request, person.language)
    if person.undeliverable:
        errors = None  # of a form the page does not show
    return web.pages.render(
        request,
        "manage.html",
        language,
        status_code=409 if refused else 400 if errors else 200,
        token=token,
        topics=[topic_view(t, language) for t in web.deps.catalogue.topics],
        current=current,
        frequency=frequency or person.frequency,
        # What the person has now, whatever is ticked above: the form carries it back.
        following=person.topics,
        frequency_shown=person.frequency,
        notice_version=web.deps.notices.current(language).version,
        undeliverable=person.undeliverable,
        alerts=bool(person.topics),
        saved=request.query_params.get("saved") == "1" and not (errors or refused),
        errors=errors or {},
        csrf=False,
    )


def _shown_choices(form: FormData) -> handlers.ShownChoices | None:
    """Return what a manage form says its page showed the person had; None if it does not say
    (a page from before forms said, or the JSON API)."""
    frequency = Frequency.parse(field(form, "frequency_shown"))
    if frequency is None:
        return None
    following = [v for v in form.getlist("following") if isinstance(v, str)]
    return handlers.ShownChoices(frozenset(following), frequency)


def _rebased(
    ticked: list[str], before: handlers.ShownChoices, now: Preferences, offered: frozenset[str]
) -> list[str]:
    """Return the topics to tick on a page shown again after a change elsewhere: those the
    person changed on their page as they left them, every other as it is now."""
    chosen = set(ticked)
    following = set(now.topics)
    return [
        slug
        for slug in sorted(offered)
        if (
            (slug in chosen)
            if (slug in chosen) != (slug in before.following)
            else slug in following
        )
    ]


@router.post("/manage/{token}", response_class=HTMLResponse)
async def manage_save(token: str, request: Request, web: Web) -> Response:
    """Save topics and frequency, end all alerts, or erase, as the pressed button says."""
    form = await read_form(request)
    action = pressed(form, "action")
    # Two buttons at once, or one the page does not have: nothing is changed, nothing deleted.
    # No button at all (a script's form.submit()) saves what the form holds, as before.
    if action not in ("", SAVE, END_ALL, ERASE):
        person = await handlers.preferences(web.uow(), web.deps, token)
        if person is None:
            return invalid_link(web, request, language_of(request))
        return _manage(
            web,
            request,
            token,
            person,
            current=list(person.topics),
            errors={"form": FORM_NOT_VALID},
        )
    shown = shown_notice(form)
    if action in (END_ALL, ERASE):
        # Withdrawn whatever notice the page named, or none (end_pages).
        return await end_or_erase(
            web,
            request,
            token,
            action,
            handlers.PageShown(shown),
            purposes=("manage",),
            route=UnsubscribeRoute.MANAGE_PAGE,
        )
    # Not cut short: a page lists every topic of the catalogue, and a cut list would end the
    # alerts past the cut; read_form bounds the fields.
    topics = [v for v in form.getlist("topics") if isinstance(v, str)]
    # The topics the page listed (hidden fields): the save changes those alone. None: a page
    # from before forms named them, which listed every topic offered.
    listed = [v for v in form.getlist("listed") if isinstance(v, str)] or None
    frequency = Frequency.parse(field(form, "frequency"))
    offered = web.deps.catalogue.slugs
    errors: dict[str, str] = {}
    if any(slug not in offered or (listed and slug not in listed) for slug in topics):
        # A page opened before a topic ended, or a forged post: saving the rest would end the
        # alerts the person left unticked without saying so. Nothing is saved, as on the index.
        errors["topics"] = TOPIC_NOT_OFFERED
    if frequency is None:
        # Only a forged or broken post names no rhythm the page offers: nothing is saved, and
        # the person's own stays, rather than one they never chose.
        errors["frequency"] = CHOOSE_FREQUENCY
    if errors or frequency is None:
        person = await handlers.preferences(web.uow(), web.deps, token)
        if person is None:
            return invalid_link(web, request, language_of(request))
        current = [slug for slug in topics if slug in offered]
        refused = person.undeliverable
        return _manage(web, request, token, person, current=current, errors=errors, refused=refused)
    saved = await handlers.update_preferences(
        web.uow(),
        web.deps,
        token,
        topics=topics,
        frequency=frequency,
        page=handlers.PageShown(shown),
        listed=listed,
        before=_shown_choices(form),
    )
    if saved is None:
        return invalid_link(web, request, language_of(request))
    if isinstance(saved, handlers.ChangedMeanwhile):
        before = _shown_choices(form)
        assert before is not None  # only a form that said what it showed is told so
        now = saved.preferences
        return _manage(
            web,
            request,
            token,
            now,
            current=_rebased(topics, before, now, web.deps.catalogue.slugs),
            errors={"form": CHANGED_MEANWHILE},
            refused=True,
            frequency=frequency if frequency != before.frequency else now.frequency,
        )
    if isinstance(saved, handlers.NoticeNotShown):
        # Shown again as posted, naming the notice in force: one more press consents under it
        # (alerts unticked have ended already). A form that named no notice: a page from before
        # forms named one, or a forged post (400).
        errors["form"] = FORM_TOO_OLD if shown is None else NOTICE_CHANGED
        return _manage(
            web,
            request,
            token,
            saved.preferences,
            current=topics,
            errors=errors,
            refused=shown is not None,
            frequency=frequency,
        )
    if saved.undeliverable:
        # A page opened before the bounces stopped the alerts, or a forged post: nothing saved.
        return _manage(web, request, token, saved, current=list(saved.topics), refused=True)
    chosen = language_of_tag(request.query_params.get("lang"))
    suffix = f"&lang={chosen}" if chosen else ""
    return Response(status_code=303, headers={"Location": f"/manage/{token}?saved=1{suffix}"})
