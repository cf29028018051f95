"""Why a request's parameters cannot be used, said once for a page and once for the API."""

from __future__ import annotations


class Unusable(ValueError):
    """A parameter out of range or malformed: ``key`` names the page's text, the message the API's.

    Pages answer 400 with ``t(key)``; the API answers 400 with the message; the command line
    prints the message.
    """

    def __init__(self, key: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.field = field  # the parameter at fault, when it is one (the API names it)
