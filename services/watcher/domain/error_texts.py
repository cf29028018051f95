"""A CMS's error message in place of a page's text: a failed poll, not a change.

Some CMSs answer a failure of their own with 200 and the page's template: its heading, its
<title>, its menus, and in its main content «Det oppstod en feil» or «Siden finnes ikke».
walls.py reads the heading and the <title> for an error page's words, and both are the page's
own, so the page was read as the message: its followers were told the text was replaced by
it, and told again when the page was back. Such a reading (outage_notices.error_text: a short main
content whose first blocks hold the message) is refused here as a failed poll that quotes the
message, and the stored version stays the reference: the page back is no news.

Only where the stored version is no such message: a page stored as one (its first reading
was taken during an outage, before this rule) is compared as before, so it is never stuck,
and a page's first reading is refused too, since taken as the baseline the message would make
the page's real text a change. The reading itself is unchanged (the same Content under the
same EXTRACTION): this is a judgement of it against what is stored, as cut_pages.py is.

A message that persists is no passing fault, and was refused at every poll for ever: a page
at 200 whose content had become «Siden finnes ikke lenger. Ordningen … ble avviklet», its
followers never told. So a refusal counts as a 404 does (``Answer.missing``; gone.py): one in
between real readings ends nothing and alerts nobody, while a page that shows only such
messages for ``gone_after`` (three days) waits on the admin's /admin/gone for an editor, who
checks it and, for a page really gone, tells its followers once. A «not found» message is
the page's own word that it is gone; a generic one («Det oppstod en feil») shown for days
leaves its followers with no content all the same, and its editor, not the poller, judges it.
"""

from __future__ import annotations

from services.watcher.domain.failures import CONTENT_PREFIX
from services.watcher.domain.outage_notices import error_text
from services.watcher.domain.outcome import Answer, History, SourceState
from shared.vocabulary import SourceKind


def refused_error_text(state: SourceState, answer: Answer, history: History | None) -> Answer:
    """Return the answer, or in its place a failed one if it reads a page's text replaced by
    a CMS's error message while the stored version is a real page (or there is none)."""
    content = answer.content
    if content is None or state.rules.kind != SourceKind.PAGE:
        return answer
    said = error_text(content.blocks)
    if said is None:
        return answer
    previous = history.previous if history is not None else None
    if previous is not None and error_text(previous.content.blocks) is not None:
        return answer  # stored as such a message already: compared as before
    return Answer.failed(
        f"{CONTENT_PREFIX}page shows an error message in place of its content: {said[:200]!r}",
        missing=True,  # counted towards gone, as a 404 is: see the module's docstring
    )
