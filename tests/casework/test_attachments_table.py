"""The person page lists each claim's files in Python (``attachments_table``): the same text
as the files' template, ``casework/_attachments.html``, writes for the same files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from detente.casework.models import Attachment, AttachmentKind
from detente.casework.templatetags.casework import attachments_table
from detente.staff.people import _Labels


def _files() -> list[Attachment]:
    who = User(username="ana<&>")
    return [
        Attachment(
            pk=7,
            name='ruling "final" <1>.pdf',
            kind=AttachmentKind.PDF,
            size=2_048_000,
            sha256="ab" * 32,
            stripped=False,
            original_sha256="",
            created_at=dt.datetime(2021, 3, 9, 23, 59, tzinfo=dt.UTC),
            uploaded_by=who,
        ),
        Attachment(
            pk=12,
            name="photo & caption.jpg",
            kind=AttachmentKind.JPEG,
            size=999,
            sha256="cd" * 32,
            stripped=True,
            original_sha256="ef" * 32,
            created_at=dt.datetime(2024, 12, 1, 0, 5, tzinfo=dt.UTC),
            uploaded_by=who,
        ),
        Attachment(
            pk=13,
            name="unknown",
            kind="other",  # not a choice: written as stored, as the template does
            size=0,
            sha256="00" * 32,
            stripped=True,
            original_sha256="",
            created_at=dt.datetime(2020, 2, 29, 12, 0, tzinfo=dt.UTC),
            uploaded_by=who,
        ),
    ]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("originals", [False, True])
def test_the_files_under_a_claim_read_as_the_template_writes_them(
    language: str, originals: bool
) -> None:
    template = get_template("casework/_attachments.html").template  # type: ignore[attr-defined]
    with translation.override(language):
        for files in (_files(), _files()[:1]):
            context = {
                "attachments": files,
                "originals": originals,
                "quiet": True,
                "upload_query": "",
                "can_record": True,
            }
            written = attachments_table(files, originals=originals, moment=_Labels("").moment)
            assert written == template.render(Context(context))
