"""The casework section of a person's or an agreement's page writes its lists of cases
raised and notes in Python (``interventions_table``, ``notes_list``): the same text as the
templates the casework pages include for them, for the same rows, in either language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from detente.agreements.models import Agreement, Party
from detente.casework.models import Channel, Intervention, Note
from detente.registry.models import Person


def _cases() -> list[Intervention]:
    person = Person(pk=3, handle="P-000003")
    agreement = Agreement(pk=4, slug="accord-1")
    party = Party(pk=5, name="Ministry & <Co>")
    return [
        Intervention(
            pk=21,
            person=person,
            party=party,
            official='Consul "A"',
            channel=Channel.MEETING,
            occurred_on=dt.date(2021, 1, 4),
            asked="A visit <now> & " + "x" * 200,
            next_step="Write again " + "y" * 150,
        ),
        Intervention(
            pk=22,
            agreement=agreement,
            party=None,
            official="Deputy",
            channel="unknown",  # not a choice: written as stored, as the template does
            occurred_on=dt.date(2024, 12, 31),
            asked="",
            next_step="",
        ),
        Intervention(
            pk=23,
            person=person,
            party=party,
            official="",
            channel=Channel.EMAIL,
            occurred_on=dt.date(2020, 2, 29),
            asked="short",
            next_step="",
        ),
    ]


def _notes() -> list[Note]:
    notes = []
    for pk, visibility in ((31, "staff"), (32, "verifiers")):
        note = Note(
            pk=pk,
            version=pk - 27,
            visibility=visibility,
            updated_at=dt.datetime(2022, 6, 1, 23, 5, tzinfo=dt.UTC),
        )
        note.body = "<p>Met the lawyer.</p><ul><li><strong>Health</strong>: stable</li></ul>"
        notes.append(note)
    return notes


@pytest.mark.parametrize("language", ["en", "es"])
def test_cases_raised_read_as_their_template_writes_them(language: str) -> None:
    with translation.override(language):
        for cases in (_cases(), _cases()[1:2], []):
            shown = Context({"interventions": cases})
            included = Template('{% include "casework/_interventions.html" %}').render(shown)
            written = Template("{% load casework %}{% interventions_table interventions %}")
            assert written.render(Context({"interventions": cases})) == included


@pytest.mark.parametrize("language", ["en", "es"])
def test_notes_read_as_their_template_writes_them(language: str) -> None:
    with translation.override(language):
        for notes in (_notes(), _notes()[1:], []):
            included = Template('{% include "casework/_notes.html" %}').render(
                Context({"notes": notes})
            )
            written = Template("{% load casework %}{% notes_list notes %}")
            assert written.render(Context({"notes": notes})) == included
