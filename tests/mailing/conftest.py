"""Fixtures for email updates: a public agreement with lists, subscribers, an SMTP sink."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from tests.mailing.sink import Sink, running_sink
from tests.support import World, make_user

from detente.access.policy import Role
from detente.access.services import (
    agreement_set_audience,
    disclosure_approve,
    disclosure_propose,
)
from detente.evidence.services import claim_record
from detente.mailing import services
from detente.mailing.models import MailingList, Subscriber
from detente.mailing.notice import notice_hash, notice_text
from detente.registry.models import Person
from detente.registry.status import CustodyStatus

PUBLIC_URL = "https://detente.example"


@pytest.fixture(autouse=True)
def mail_settings(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DEFAULT_FROM_EMAIL = "Detente <updates@detente.example>"
    settings.MAILING = {
        **settings.MAILING,
        "PUBLIC_URL": PUBLIC_URL,
        "SEND_RATE": 0,
        "CONNECTIONS": 3,
        "MAILCHIMP_ENABLED": False,
        "TRACKING": False,
        "ESP": "",
    }


@dataclass
class Lists:
    world: World
    deal: MailingList  # the agreement
    country: MailingList  # the releasing party's agreements
    everything: MailingList
    verifier: User
    approver: User

    def confirm_release(self, i: int, *, day: str = "2020-02-01") -> None:
        """An independent A-grade source confirms member i's release."""
        claim_record(
            actor=self.world.actor,
            source=self.world.sources["embassy"],
            person=self.world.person(i),
            agreement=self.world.agreement,
            status=CustodyStatus.UNCONDITIONAL_RELEASE,
            event_date=dt.date.fromisoformat(day),
        )

    def disclose(self, *people: Person, withdraw: bool = False) -> None:
        d = disclosure_propose(
            actor=self.verifier,
            audience="public",
            reason="Published by the counterpart",
            people=people,
            action="withdraw" if withdraw else "open",
        )
        disclosure_approve(actor=self.approver, disclosure=d)


@pytest.fixture
def lists(world: World) -> Lists:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    deal = services.list_create(
        actor=world.actor, slug="deal-news", kind="agreement", agreement=world.agreement
    )
    country = services.list_create(
        actor=world.actor,
        slug="releasing-news",
        kind="country",
        party=world.releasing,
        frequency="immediate",
    )
    everything = services.list_create(actor=world.actor, slug="all-news", kind="all")
    return Lists(
        world,
        deal,
        country,
        everything,
        make_user("vera", Role.VERIFIER),
        make_user("adam", Role.ADMINISTRATOR),
    )


def form_notice(language: str = "en") -> str:
    return notice_hash(notice_text(language))


_LINK = re.compile(r"https://detente\.example(/updates/[a-z]+/[^/\s]+/)")


def links_in(text: str) -> list[str]:
    """Site-relative paths of the /updates/ links in an email body."""
    return _LINK.findall(text)


_SINKS: list[Sink] = []


def last_notice_to(address: str) -> str:
    """The text of the last confirmation email to an address (locmem outbox or sink)."""
    address = address.lower()
    if _SINKS:
        return _SINKS[-1].to(address)[-1].text()
    return str([m for m in mail.outbox if address in m.to][-1].body)


@pytest.fixture
def subscribe(
    django_capture_on_commit_callbacks: Any,
) -> Callable[..., Subscriber]:
    """Sign an address up and confirm it through the links, like a person would."""

    def make(address: str, *mls: MailingList, language: str = "en") -> Subscriber:
        with django_capture_on_commit_callbacks(execute=True):
            services.subscribe(
                email=address,
                list_ids=[m.pk for m in mls],
                language=language,
                notice=form_notice(language),
            )
        (path,) = links_in(last_notice_to(address))
        token = path.split("/")[3]
        with django_capture_on_commit_callbacks(execute=True):
            services.confirm(token=token, notice=form_notice(language))
        if _SINKS:
            _SINKS[-1].received.clear()
        mail.outbox.clear()
        return Subscriber.objects.get(email=address.lower())

    return make


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    """A real SMTP server; the outbox delivers to it."""
    with running_sink() as s:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = s.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        _SINKS.append(s)
        try:
            yield s
        finally:
            _SINKS.remove(s)


def cookieless() -> Client:
    return Client()
