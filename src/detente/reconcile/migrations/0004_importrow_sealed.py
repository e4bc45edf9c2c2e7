"""Imported rows sealed at rest (issue 17; docs/keys.md), step 1 of 3: the column that
holds a row as parsed (names, birth date, places, the claim), sealed. Step 2 seals the
rows, step 3 drops the plain column; each its own transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reconcile", "0003_importjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrow",
            name="sealed",
            field=models.TextField(default="", verbose_name="parsed row (sealed)"),
            preserve_default=False,
        ),
    ]
