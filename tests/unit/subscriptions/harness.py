"""The subscriptions handlers on in-memory stores, a frozen clock and real tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.subscriptions import handlers
from services.subscriptions.domain.model import SignupForm, SignupRequest, Subscriber
from services.subscriptions.domain.vocabulary import Channel
from shared.catalogue_entries import Catalogue, Topic
from shared.clock import FrozenClock
from shared.settings import Settings
from shared.tokens import Purpose, TokenSigner
from shared.vocabulary import Frequency, Language
from tests.support.notices import NOTICES
from tests.unit.subscriptions.fakes import Data, FakeUnitOfWork

SECRET = "unit-test-secret-key-0123456789abcdef0123"
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TOPIC = "norge-i-verden"
RELATED = "vaksiner"
OTHER = "helsenyheter"
ADDRESS = "kari.nordmann@example.no"
CLIENT = "192.0.2.1"
PER_ADDRESS = 5
PER_CLIENT = 30

CATALOGUE = Catalogue(
    topics=(
        Topic(
            slug=TOPIC,
            title={"nb": "Norge i verden"},
            related=(RELATED,),
            section={"nb": "Folkehelse", "en": "Public health"},
            description={"nb": "Norges helsearbeid ute i verden."},
        ),
        Topic(slug=RELATED, title={"nb": "Vaksiner"}, section={"nb": "Folkehelse"}),
        Topic(slug=OTHER, title={"nb": "Helsenyheter"}),
    )
)


@dataclass
class World:
    """What a test drives: the stored data, the handlers' dependencies and the clock."""

    data: Data
    deps: handlers.Deps
    clock: FrozenClock

    @classmethod
    def build(cls) -> World:
        """Return an empty world at ``START``."""
        clock = FrozenClock(START)
        settings = Settings(
            secret_key=SECRET,
            signup_limit_per_address=PER_ADDRESS,
            signup_limit_per_client=PER_CLIENT,
        )
        deps = handlers.Deps(settings, CATALOGUE, TokenSigner(SECRET), clock, NOTICES)
        return cls(Data(), deps, clock)

    def uow(self) -> FakeUnitOfWork:
        """Return a unit of work on the world's data, for one command."""
        return FakeUnitOfWork(self.data)

    async def sign_up(
        self,
        address: str = ADDRESS,
        topics: tuple[str, ...] = (TOPIC,),
        *,
        frequency: Frequency = Frequency.DAILY,
        language: Language = Language.NB,
        channel: Channel = Channel.WEB,
        client: str = CLIENT,
    ) -> bool:
        """Sign up as the form would; tell whether it was within the limits."""
        form = SignupForm(address, topics, frequency, language, "https://www.fhi.no/", channel)
        return await handlers.sign_up(self.uow(), self.deps, form, client)

    def person(self, address: str = ADDRESS) -> Subscriber | None:
        """Return the stored person with an address."""
        return next((s for s in self.data.subscribers.values() if s.email == address), None)

    def requests_of(self, address: str = ADDRESS) -> list[SignupRequest]:
        """Return a person's sign-up requests, oldest first."""
        person = self.person(address)
        assert person is not None
        mine = [r for r in self.data.requests.values() if r.subscriber_id == person.id]
        return sorted(mine, key=lambda r: r.created_at)

    def confirm_token(self, address: str = ADDRESS) -> str:
        """Return the token the newest confirmation mail to an address carries."""
        return self.deps.signer.sign("confirm", self.requests_of(address)[-1].id, self.clock.now())

    def token(self, purpose: Purpose, address: str = ADDRESS) -> str:
        """Return a manage or unsubscribe token as a mail to this person would carry it."""
        person = self.person(address)
        assert person is not None
        return self.deps.signer.sign(purpose, person.id, self.clock.now())

    async def subscribed(
        self, address: str = ADDRESS, topics: tuple[str, ...] = (TOPIC,)
    ) -> uuid.UUID:
        """Sign a person up and confirm; return their id."""
        assert await self.sign_up(address, topics)
        assert await handlers.confirm(self.uow(), self.deps, self.confirm_token(address))
        person = self.person(address)
        assert person is not None
        return person.id

    def open_topics(self, address: str = ADDRESS) -> set[str]:
        """Return the topics a person gets alerts about."""
        person = self.person(address)
        if person is None:
            return set()
        return {
            s.topic
            for s in self.data.subscriptions
            if s.subscriber_id == person.id and s.ended_at is None
        }
