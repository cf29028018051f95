"""Languages of pages and mails: gettext catalogues read with Babel, negotiation, formatting.

Each service keeps its words in ``<service>/locale/<language>/LC_MESSAGES/<domain>.po``, one
catalogue per language, extracted from its templates and code by ``make messages``
(``pybabel``). A service reads its catalogues when it starts (``Catalogues.load``), never at
import time; nothing is compiled ahead, so a fresh clone cannot run on stale ``.mo`` files.
"""
