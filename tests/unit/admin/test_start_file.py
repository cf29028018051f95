"""Start-up leaves out of VARSEL_CONFIG the sources every poll of which would be refused."""

from __future__ import annotations

from services.admin.domain.start_file import refused_at_start, without_refused
from shared.catalogue_entries import Catalogue, Source, Topic
from shared.vocabulary import SourceKind

TOPIC = Topic(slug="tema", title={"nb": "Tema"})
PUBLIC = Source(url="https://www.fhi.no/side", kind=SourceKind.PAGE, topics=("tema",))
LOOPBACK = Source(url="http://127.0.0.1/intern", kind=SourceKind.PAGE, topics=("tema",))


def test_a_source_at_a_loopback_address_is_left_out_unless_allowed() -> None:
    wanted = Catalogue(topics=(TOPIC,), sources=(PUBLIC, LOOPBACK))

    refused = refused_at_start(wanted, allow_private=False)

    assert list(refused) == [LOOPBACK.url]
    assert without_refused(wanted, refused, Catalogue(topics=())).sources == (PUBLIC,)
    assert refused_at_start(wanted, allow_private=True) == {}


def test_such_a_source_already_in_force_stays_as_it_is() -> None:
    in_force = LOOPBACK.model_copy(update={"interval": 3600})
    wanted = Catalogue(topics=(TOPIC,), sources=(PUBLIC, LOOPBACK))
    current = Catalogue(topics=(TOPIC,), sources=(in_force,))

    kept = without_refused(wanted, refused_at_start(wanted, allow_private=False), current)

    assert kept.sources == (PUBLIC, in_force)  # neither changed by the file nor retired
