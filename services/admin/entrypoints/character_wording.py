"""Why a text staff typed is refused for a character nobody can see, by message key.

Apart from wording.py, which holds every other refusal of the staff pages and merges these in.
A Unicode noncharacter (U+FDD0, U+FFFE) no page or mail can show; a direction control (U+202A to
U+202E, U+2066 to U+2069) makes the text after it show in another order than it is stored. The
page shows the field without it and, where the message has ``%(character)s``, names its code
point (ADR 0023).
"""

from __future__ import annotations

from typing import Final

from shared.i18n.translator import N_

CHARACTER_MESSAGES: Final[dict[str, str]] = {
    # Unicode noncharacters (domain.topic_form, domain.source_form, domain.bulletin_draft,
    # the mailer's review, publishing).
    "bulletin_subject_noncharacter": N_(
        "The subject holds an invisible code point that no mail can show (a Unicode "
        "noncharacter, often pasted from another program). The field shows the subject without "
        "it: check it and send again. Nothing was sent."
    ),
    "bulletin_body_noncharacter": N_(
        "The message holds an invisible code point that no mail can show (a Unicode "
        "noncharacter, often pasted from another program). The field shows the message without "
        "it: check it and send again. Nothing was sent."
    ),
    "token_name_noncharacter": N_(
        "The name holds an invisible code point that no page can show (a Unicode noncharacter, "
        "often pasted from another program). The field shows the name without it: check it and "
        "issue the token again. Nothing was issued."
    ),
    "url_noncharacter": N_(
        "The address holds an invisible code point that no page or mail can show (a Unicode "
        "noncharacter, often pasted from another program). The field shows the address without "
        "it: check it and save again."
    ),
    "title_noncharacter": N_(
        "The title holds %(character)s, an invisible code point that no page or mail can show "
        "(a Unicode noncharacter, often pasted from another program). The field shows the title "
        "without it: check it and save again."
    ),
    "section_noncharacter": N_(
        "The section holds %(character)s, an invisible code point that no page or mail can show "
        "(a Unicode noncharacter, often pasted from another program). The field shows the "
        "section without it: check it and save again."
    ),
    "description_noncharacter": N_(
        "The description holds %(character)s, an invisible code point that no page or mail can "
        "show (a Unicode noncharacter, often pasted from another program). The field shows the "
        "description without it: check it and save again."
    ),
    "page_noncharacter": N_(
        "The address holds %(character)s, an invisible code point that no page or mail can show "
        "(a Unicode noncharacter, often pasted from another program). The field shows the "
        "address without it: check it and save again."
    ),
    "editors_noncharacter": N_(
        "The editors field holds %(character)s, an invisible code point that no page can show "
        "(a Unicode noncharacter, often pasted from another program). The field shows the names "
        "without it: check them and save again."
    ),
    "note_noncharacter": N_(
        "The change note holds an invisible code point that no page or mail can show (a Unicode "
        "noncharacter, often pasted from another program). The field shows the note without it: "
        "check it and decide again. Your decision was not taken."
    ),
    "reason_has_bidi_control": N_(
        "The reason holds an invisible direction control (a right-to-left override, embedding "
        "or isolate, often pasted from another program), which makes text show in another order "
        "than it is stored. The field shows the reason without it: check it and send again. "
        "Nothing was changed."
    ),
    # Direction controls, refused where they are typed as noncharacters are.
    "title_bidi_control": N_(
        "The title holds %(character)s, an invisible direction control (a right-to-left "
        "override, embedding or isolate, often pasted from another program) that makes text "
        "show in another order than it is stored. The field shows the title without it: check "
        "it and save again."
    ),
    "section_bidi_control": N_(
        "The section holds %(character)s, an invisible direction control (a right-to-left "
        "override, embedding or isolate, often pasted from another program) that makes text "
        "show in another order than it is stored. The field shows the section without it: check"
        " it and save again."
    ),
    "description_bidi_control": N_(
        "The description holds %(character)s, an invisible direction control (a right-to-left "
        "override, embedding or isolate, often pasted from another program) that makes text "
        "show in another order than it is stored. The field shows the description without it: "
        "check it and save again."
    ),
    "page_bidi_control": N_(
        "The address holds %(character)s, an invisible direction control (a right-to-left "
        "override, embedding or isolate, often pasted from another program) that makes text "
        "show in another order than it is stored. The field shows the address without it: check"
        " it and save again."
    ),
    "editors_bidi_control": N_(
        "The editors field holds %(character)s, an invisible direction control (a right-to-left"
        " override, embedding or isolate, often pasted from another program) that makes text "
        "show in another order than it is stored. The field shows the names without it: check "
        "them and save again."
    ),
    "url_bidi_control": N_(
        "The address holds an invisible direction control (a right-to-left override, embedding "
        "or isolate, often pasted from another program) that makes text show in another order "
        "than it is stored. The field shows the address without it: check it and save again."
    ),
    "bulletin_subject_bidi_control": N_(
        "The subject holds an invisible direction control (a right-to-left override, embedding "
        "or isolate, often pasted from another program) that makes text show in another order "
        "than it is stored. The field shows the subject without it: check it and send again. "
        "Nothing was sent."
    ),
    "bulletin_body_bidi_control": N_(
        "The message holds an invisible direction control (a right-to-left override, embedding "
        "or isolate, often pasted from another program) that makes text show in another order "
        "than it is stored. The field shows the message without it: check it and send again. "
        "Nothing was sent."
    ),
    "note_bidi_control": N_(
        "The change note holds an invisible direction control (a right-to-left override, "
        "embedding or isolate, often pasted from another program) that makes text show in "
        "another order than it is stored. The field shows the note without it: check it and "
        "decide again. Your decision was not taken."
    ),
    "token_name_bidi_control": N_(
        "The name holds an invisible direction control (a right-to-left override, embedding or "
        "isolate, often pasted from another program) that makes text show in another order than"
        " it is stored. The field shows the name without it: check it and issue the token "
        "again. Nothing was issued."
    ),
    "selector_bidi_control": N_(
        "The CSS selector holds an invisible direction control (a right-to-left override, "
        "embedding or isolate, often pasted from another program) that makes text show in "
        "another order than it is stored. The field shows the selector without it: check it and "
        "save again."
    ),
    "ignore_bidi_control": N_(
        "An ignore pattern holds an invisible direction control (a right-to-left override, "
        "embedding or isolate, often pasted from another program) that makes text show in "
        "another order than it is stored. The field shows the patterns without it: check them "
        "and save again."
    ),
}
