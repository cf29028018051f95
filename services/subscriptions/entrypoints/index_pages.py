"""Routes of the topic index at ``/``: every topic, a filter, and one sign-up for several topics.

The filter is a GET form (``?q=``) applied here, so it works without JavaScript; the sign-up is
a POST to the same path that makes one sign-up request, hence one confirmation mail, for every
topic ticked.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.subscriptions.domain.consent import INDEX_PAGE_PATH, index_page
from services.subscriptions.domain.topic_index import BadQuery, parse_query, topic_index
from services.subscriptions.entrypoints.signup_pages import address_of, form_errors, submit_signup
from services.subscriptions.entrypoints.web import (
    SubscriptionsWeb,
    Web,
    field,
    form_language,
    language_of,
)
from services.subscriptions.entrypoints.wording import (
    CHOOSE_FREQUENCY,
    CHOOSE_TOPICS,
    FORM_NOT_VALID,
    TOPIC_NOT_OFFERED,
)
from shared.vocabulary import Frequency, Language
from shared.web.forms import read_form

router = APIRouter()


def _index_page(
    web: SubscriptionsWeb,
    request: Request,
    language: Language,
    *,
    query: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    topics = web.deps.catalogue.topics
    sections = topic_index(topics, language, "" if errors and "q" in errors else query)
    return web.pages.render(
        request,
        "index.html",
        language,
        status_code=status_code,
        sections=sections,
        shown=sum(len(section.topics) for section in sections),
        total=len(topics),
        query=query,
        shown_on=INDEX_PAGE_PATH,
        errors=errors or {},
        values=values or {"email": "", "frequency": Frequency.IMMEDIATE, "topics": []},
    )


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, web: Web) -> HTMLResponse:
    """Show every topic (or those the filter text matches) and the form to sign up for several."""
    language = language_of(request)
    raw = request.query_params.get("q")
    try:
        query = parse_query(raw)
    except BadQuery as exc:
        # The page still lists every topic, so the person can go on without the filter.
        return _index_page(
            web,
            request,
            language,
            query=(raw or "")[:100],
            errors={"q": exc.reason},
            status_code=400,
        )
    return _index_page(web, request, language, query=query)


@router.post("/", response_class=HTMLResponse)
async def subscribe_many(request: Request, web: Web) -> HTMLResponse:
    """Accept one sign-up for every topic ticked in the index."""
    form = await read_form(request)
    language = form_language(request, form)
    raw_email = field(form, "email")
    frequency = Frequency.parse(field(form, "frequency"))
    # Keep the person's choices in order, once each, every one of them: ticking every topic of
    # the catalogue is one sign-up for all. The catalogue decides what is offered; what a forged
    # form costs is bounded where the form is read (shared/web/forms.py).
    chosen = list(dict.fromkeys(v[:100] for v in form.getlist("topics") if isinstance(v, str)))
    catalogue = web.deps.catalogue
    errors = form_errors(web, request, form)
    if field(form, "page") != INDEX_PAGE_PATH:
        errors.setdefault("form", FORM_NOT_VALID)
    if not chosen:
        errors["topics"] = CHOOSE_TOPICS
    elif any(slug not in catalogue.slugs for slug in chosen):
        errors["topics"] = TOPIC_NOT_OFFERED
    address = address_of(web, raw_email, errors)
    if frequency is None:
        errors["frequency"] = CHOOSE_FREQUENCY
    if errors or frequency is None:
        values: dict[str, object] = {
            "email": raw_email,
            "frequency": frequency or "",
            "topics": [slug for slug in chosen if slug in catalogue.slugs],
        }
        return _index_page(web, request, language, errors=errors, values=values, status_code=400)
    # In the catalogue's order, as the confirmation page and mail list them.
    topics = tuple(topic.slug for topic in catalogue.topics if topic.slug in chosen)
    page = index_page(web.deps.settings.base_url)
    return await submit_signup(web, request, address, topics, frequency, language, page=page)
