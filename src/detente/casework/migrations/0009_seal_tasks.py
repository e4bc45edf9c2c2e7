"""Tasks sealed at rest, step 2 of 3: the title and details of every task already stored,
sealed together into ``sealed`` with the data key of ``casework.task``, bound to the row.
Going back opens them again into the plain columns."""

from typing import Any

from django.db import migrations

from detente.casework.migrations import _sealed_fields

ARGS = ("Task", "casework.task", "task", ("title", "details"))


def seal(apps: Any, schema_editor: Any) -> None:
    _sealed_fields.seal(apps, *ARGS)


def unseal(apps: Any, schema_editor: Any) -> None:
    _sealed_fields.unseal(apps, *ARGS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_task_sealed"),
        ("keys", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
