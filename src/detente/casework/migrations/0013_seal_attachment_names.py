"""Attachment names sealed at rest, step 2 of 3: the name as uploaded of every file
already stored, sealed into ``sealed`` with the data key of ``casework.attachment_name``,
bound to the row. Going back opens them again into the plain column."""

from typing import Any

from django.db import migrations

from detente.casework.migrations import _sealed_fields

ARGS = ("Attachment", "casework.attachment_name", "attachment", ("name",))


def seal(apps: Any, schema_editor: Any) -> None:
    _sealed_fields.seal(apps, *ARGS)


def unseal(apps: Any, schema_editor: Any) -> None:
    _sealed_fields.unseal(apps, *ARGS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0012_attachment_name_sealed"),
        ("keys", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
