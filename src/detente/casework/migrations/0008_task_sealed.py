"""Tasks sealed at rest (issue 17, point 1; docs/keys.md), step 1 of 3: the column that
holds a task's title and details sealed. Step 2 seals the rows, step 3 drops the plain
columns; each its own transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_intervention_drop_plain"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="sealed",
            field=models.TextField(default="", verbose_name="text (sealed)"),
            preserve_default=False,
        ),
    ]
