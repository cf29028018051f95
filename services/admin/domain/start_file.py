"""What start-up leaves out of ``VARSEL_CONFIG``: the sources every poll of which the watcher
would refuse (an address on a private, loopback or link-local network written out, or
«localhost», while VARSEL_ALLOW_PRIVATE_ADDRESSES is off).

`varsel check-config` and `varsel catalogue apply` refuse such a file. Refused at start, the
whole service would not start for one wrong line; applied, the source would fail at every
poll. Start-up applies the rest of the file, adds no such source and logs an ERROR naming it.
"""

from __future__ import annotations

from collections.abc import Collection

from shared.catalogue_entries import Catalogue
from shared.private_addresses import refused_address


def refused_at_start(wanted: Catalogue, *, allow_private: bool) -> dict[str, str]:
    """Return the file's sources start-up leaves out: each address, and why."""
    return {
        source.url: why
        for source in wanted.sources
        if (why := refused_address(source.url, allow_private=allow_private))
    }


def without_refused(wanted: Catalogue, refused: Collection[str], current: Catalogue) -> Catalogue:
    """Return the file's catalogue without the refused sources: one already in force stays as
    it is (neither changed nor retired), and one that is not is not added."""
    if not refused:
        return wanted
    in_force = {s.url: s for s in current.sources if s.url in refused}
    sources = tuple(
        in_force[s.url] if s.url in refused else s
        for s in wanted.sources
        if s.url not in refused or s.url in in_force
    )
    return wanted.model_copy(update={"sources": sources})
