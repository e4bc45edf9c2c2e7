"""Imported rows sealed at rest, step 3 of 3: the plain column goes (the parsed row is
sealed in ``sealed``). Going back brings it back empty, for step 2 to fill."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reconcile", "0005_seal_import_rows"),
    ]

    operations = [
        # With a default, so that going back adds it again to a table that has rows.
        migrations.AlterField(
            model_name="importrow",
            name="data",
            field=models.JSONField(default=dict, verbose_name="parsed row"),
        ),
        migrations.RemoveField(model_name="importrow", name="data"),
    ]
