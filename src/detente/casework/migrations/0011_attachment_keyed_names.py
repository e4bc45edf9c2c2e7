"""Attachment files named by a keyed hash (issue 17, point 1; docs/keys.md): every file kept
under the bare SHA-256 of its content is renamed to HMAC-SHA256 of it, with a key derived
from the attachments' current data key. Each file is one rename, so a reader finds it
under either name meanwhile, and a run that was stopped is run again to finish. With
files to rename this needs the master key. Going back renames them to their SHA-256."""

from typing import Any

from django.db import migrations


def _hashes(apps: Any) -> list[str]:
    Attachment = apps.get_model("casework", "Attachment")
    found = set(Attachment.objects.values_list("sha256", flat=True))
    found |= set(
        Attachment.objects.exclude(original_sha256="").values_list("original_sha256", flat=True)
    )
    return sorted(found)


def rename(apps: Any, schema_editor: Any) -> None:
    from detente.casework import files

    for sha in _hashes(apps):
        files.rename_keyed(sha)


def rename_back(apps: Any, schema_editor: Any) -> None:
    from detente.casework import files

    for sha in _hashes(apps):
        files.rename_legacy(sha)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0010_task_drop_plain"),
        ("keys", "0001_initial"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
