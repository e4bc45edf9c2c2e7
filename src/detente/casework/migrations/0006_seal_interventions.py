"""Cases raised sealed at rest, step 2 of 3: the official, who raised it, what was asked,
the answer and the next step of every case raised already stored, sealed together into
``sealed`` with the data key of ``casework.intervention``, bound to the row. Going back
opens them again into the plain columns."""

from typing import Any

from django.db import migrations

from detente.casework.migrations import _sealed_fields

ARGS = (
    "Intervention",
    "casework.intervention",
    "intervention",
    ("official", "raised_by", "asked", "answer", "next_step"),
)


def seal(apps: Any, schema_editor: Any) -> None:
    _sealed_fields.seal(apps, *ARGS)


def unseal(apps: Any, schema_editor: Any) -> None:
    _sealed_fields.unseal(apps, *ARGS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0005_intervention_sealed"),
        ("keys", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
