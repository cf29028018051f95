"""Read a posted form with a bound on its fields that a whole catalogue fits under.

Starlette reads at most 1,000 fields unless told otherwise, and answers more with its own
English 400. A form that ticks every topic of a large catalogue (the index's one sign-up for
every topic ticked, a bulletin to all topics) sends one field per topic: a catalogue of 1,007
topics was refused so. The bound stays, so a forged form costs little: the body limit
(``VARSEL_MAX_BODY_BYTES``, the staff side's own) bounds its bytes, this its fields.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import FormData
from starlette.requests import Request

# Room for every topic of a catalogue ten times the size of a large one today, and the rest of
# the form; reading this many short fields takes milliseconds.
MAX_FORM_FIELDS: Final = 10_000


async def read_form(request: Request) -> FormData:
    """Return the posted form, read whole up to ``MAX_FORM_FIELDS`` fields (more is a 400).

    Every route reads its form through here: the first read is kept for the request, so a
    route that read it with Starlette's default first would hold the lower bound.
    """
    return await request.form(max_fields=MAX_FORM_FIELDS)
