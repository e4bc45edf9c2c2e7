"""The demo's casework: a few people's files (cases raised, notes, tasks), made through the
services with the seeded generator's people, so the pages and "My work" have something to
show. Synthetic: every text here is invented for the demo."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.models import User
from django.utils import timezone

from detente.agreements.models import Agreement, Party
from detente.casework.services import (
    intervention_edit,
    intervention_raise,
    note_add,
    note_edit,
    task_add,
)
from detente.registry.models import Person

_ASKED = (
    "Asked for news of the detainee's health and for a family visit.",
    "Asked that the case be reviewed under the December commitment.",
    "Asked for the place of detention and access for a lawyer.",
)
_ANSWERS = (
    "Promised an answer within two weeks.",
    "Said the case is under review; no date given.",
    "",
)


def load(
    users: dict[str, User],
    agreement: Agreement,
    counterpart: Party,
    people: list[Person],
    rng: random.Random,
) -> None:
    """Cases raised, notes and tasks on the first few of ``people`` and on the agreement."""
    analyst, verifier = users["analyst"], users["verifier"]
    today = timezone.localdate()
    for i, person in enumerate(people[:4]):
        raised = intervention_raise(
            actor=analyst,
            person=person,
            party=counterpart,
            official=("Consul", "Human rights officer", "Deputy chief of mission")[i % 3],
            channel=("meeting", "letter", "call")[i % 3],
            occurred_on=dt.date(2015, 3, 2) + dt.timedelta(days=rng.randint(0, 60)),
            asked=_ASKED[i % 3],
        )
        answer = _ANSWERS[i % 3]
        if answer:
            intervention_edit(
                analyst, raised, answer=answer, next_step="Raise it again at the next meeting."
            )
        note = note_add(
            actor=analyst,
            person=person,
            body="<p>The family asks that the case be raised <strong>without</strong> "
            "publicity.</p>",
        )
        if i == 0:
            note_add(
                actor=verifier,
                person=person,
                body="<p>A protected source confirmed the transfer; do not cite it.</p>",
                visibility="verifiers",
            )
            note_edit(
                actor=analyst,
                note=note,
                body="<p>The family asks that the case be raised <strong>without</strong> "
                "publicity.</p><p>The lawyer agrees.</p>",
            )
        task_add(
            actor=verifier,
            intervention=raised,
            title="Chase the answer",
            due_on=today + dt.timedelta(days=3 + 7 * i),
            assignee=analyst if i % 2 == 0 else verifier,
            remind_on=today if i == 0 else None,  # a reminder the demo's worker sends at once
        )
    intervention_raise(
        actor=verifier,
        agreement=agreement,
        party=counterpart,
        official="Head of the interests section",
        channel="meeting",
        occurred_on=dt.date(2015, 1, 20),
        asked="Asked when the remaining names on the list will be released.",
        answer="All will be released; no dates.",
    )
    task_add(
        actor=verifier,
        agreement=agreement,
        title="Compare the releases with the promised count",
        due_on=today,
        assignee=verifier,
    )
