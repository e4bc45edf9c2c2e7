"""Notes sealed at rest (issue 17, point 1; docs/keys.md): ``body`` becomes
``sealed_body``, and every note and version already written is sealed in place with the
notes' data key. With notes to seal, this needs the master key (made outside production
when missing; in production `detente keys init` first, or the migration stops saying so).
Going back opens them again."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

NOTE_CLASS = "casework.note"


def _rows(apps: Any) -> list[tuple[Any, Any]]:
    Note = apps.get_model("casework", "Note")
    NoteVersion = apps.get_model("casework", "NoteVersion")
    return [
        (Note, lambda row: f"note:{row.pk}"),
        (NoteVersion, lambda row: f"note:{row.note_id}:v{row.number}"),
    ]


def seal(apps: Any, schema_editor: Any) -> None:
    from detente.keys import ring

    for model, ref in _rows(apps):
        for row in model.objects.order_by("pk").iterator(chunk_size=500):
            if ring.key_id_of(row.sealed_body) is None:
                sealed = ring.seal_text(NOTE_CLASS, ref(row), row.sealed_body)
                model.objects.filter(pk=row.pk).update(sealed_body=sealed)


def unseal(apps: Any, schema_editor: Any) -> None:
    from detente.keys import ring

    for model, ref in _rows(apps):
        for row in model.objects.order_by("pk").iterator(chunk_size=500):
            if ring.key_id_of(row.sealed_body) is not None:
                plain = ring.open_text(NOTE_CLASS, ref(row), row.sealed_body, f"row {row.pk}")
                model.objects.filter(pk=row.pk).update(sealed_body=plain)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0003_task_reminder"),
        ("keys", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("note", "body", "sealed_body"),
        migrations.RenameField("noteversion", "body", "sealed_body"),
        migrations.AlterField(
            "note", "sealed_body", models.TextField(verbose_name="text (sealed)")
        ),
        migrations.AlterField(
            "noteversion", "sealed_body", models.TextField(verbose_name="text (sealed)")
        ),
        migrations.RunPython(seal, unseal),
    ]
