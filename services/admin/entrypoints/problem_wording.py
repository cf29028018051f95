"""Why the catalogue refused a change, worded for editors: one message per kind of problem
(shared.catalogue_problems.Trouble), naming the entry and the value that cannot be used.

The templates translate ``troubles[kind]`` with ``_()`` and the problem's values; the English
lines ``varsel catalogue apply`` prints are the terminal's, not these.
"""

from __future__ import annotations

from typing import Final

from shared.catalogue_problems import Trouble
from shared.i18n.translator import N_

TROUBLES: Final[dict[str, str]] = {
    Trouble.UNKNOWN_SECTIONS: N_("The catalogue has sections it does not know: %(value)s."),
    Trouble.NO_TOPICS: N_("The catalogue needs at least one topic."),
    Trouble.TOPIC_FIELD: N_("Topic %(topic)s: the field %(field)s cannot be used."),
    Trouble.TOPIC_TWICE: N_("The topic %(topic)s is in the catalogue more than once."),
    Trouble.RELATED_UNKNOWN: N_(
        "Topic %(topic)s: the related topic “%(value)s” is not a topic people can follow."
    ),
    Trouble.RELATED_ITSELF: N_(
        "Topic %(topic)s: it names itself as a related topic; a topic is not related to itself."
    ),
    Trouble.RELATED_ENDED: N_(
        "Topic %(topic)s: the related topic “%(value)s” has ended and is not a topic people "
        "can follow."
    ),
    Trouble.RELATED_TOO_MANY: N_(
        "Topic %(topic)s: it names more related topics than the %(limit)s a topic may offer."
    ),
    Trouble.SUCCESSOR_NOT_ENDED: N_(
        "Topic %(topic)s: only a topic that has ended names what to follow instead."
    ),
    Trouble.SUCCESSOR_UNKNOWN: N_(
        "Topic %(topic)s: what to follow instead, “%(value)s”, is not a topic people can follow."
    ),
    Trouble.SOURCES_NOT_ENTRIES: N_("The catalogue's sources are not written as entries."),
    Trouble.SOURCE_FIELD: N_("Source %(source)s: the field %(field)s cannot be used."),
    Trouble.SOURCE_URL: N_(
        "Source %(source)s: “%(value)s” is not a whole web address that starts with https:// "
        "or http://."
    ),
    Trouble.SOURCE_KIND: N_(
        "Source %(source)s: the kind “%(value)s” is not a page, a feed or a PDF."
    ),
    Trouble.SOURCE_NO_TOPICS: N_("Source %(source)s: choose one or more topics it feeds."),
    Trouble.SOURCE_INTERVAL: N_(
        "Source %(source)s: the interval “%(value)s” cannot be used. Write a number and a unit, "
        "for example 30s, 15m, 1h or 1d, at most 365d."
    ),
    Trouble.SOURCE_IGNORE: N_(
        "Source %(source)s: the ignore pattern “%(value)s” is not a valid regular expression."
    ),
    Trouble.SOURCE_SELECTOR: N_(
        "Source %(source)s: the CSS selector “%(value)s” cannot be read. Check its spelling."
    ),
    Trouble.SOURCE_MODE: N_(
        "Source %(source)s: “%(value)s” is not a way changes go out: at once, or after review."
    ),
    Trouble.SOURCE_TOPICS_ENDED: N_("Source %(source)s: these topics have ended: %(value)s."),
    Trouble.SOURCE_TOPICS_UNKNOWN: N_(
        "Source %(source)s: these topics are not in the catalogue: %(value)s."
    ),
    Trouble.SOURCE_TWICE: N_("The address %(source)s is in the catalogue more than once."),
}
