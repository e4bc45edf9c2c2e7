"""Attachment names sealed at rest (issue 17, point 1; docs/keys.md), step 1 of 3: the
column that holds a file's name as uploaded, sealed. Step 2 seals the rows, step 3 drops
the plain column; each its own transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0011_attachment_keyed_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="sealed",
            field=models.TextField(default="", verbose_name="file name (sealed)"),
            preserve_default=False,
        ),
    ]
