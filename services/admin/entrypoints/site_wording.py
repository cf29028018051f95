"""Why the sites typed for a publisher token cannot be kept, by ``SiteRefused.reason``.

Apart from wording.py, which holds every other refusal of the staff pages and merges these in;
``%(site)s`` is the entry typed, as the operator wrote it.
"""

from __future__ import annotations

from typing import Final

from shared.i18n.translator import N_

SITE_MESSAGES: Final[dict[str, str]] = {
    "site_none": N_(
        "Name at least one site the token may tell of changes for, for example "
        "https://www.example.no. Nothing was issued."
    ),
    "site_many": N_("Name at most 50 sites for one token. Nothing was issued."),
    "site_host": N_(
        "“%(site)s” is not a site: write a host name, such as www.example.no or "
        "https://www.example.no, of parts of at most 63 letters, digits or hyphens (not first "
        "or last) between dots, or an IP address written in full (10.0.0.7, [::1]), with a "
        "port from 1 to 65535 if it needs one. Nothing was issued."
    ),
    "site_wildcard": N_(
        "“%(site)s” holds a *: a token names each site, so that it opens only what you see "
        "here. Write each host on a line of its own. Nothing was issued."
    ),
    "site_scheme": N_(
        "“%(site)s” is not a web address: a site starts with https:// or http://, or with "
        "its host name. Nothing was issued."
    ),
    "site_userinfo": N_(
        "“%(site)s” holds a user name or password (before @): write the site without it. "
        "Nothing was issued."
    ),
    "site_path": N_(
        "“%(site)s” names a page or folder, not a site: write only the start, such as "
        "https://www.example.no, and the token covers every page there. Nothing was issued."
    ),
}
