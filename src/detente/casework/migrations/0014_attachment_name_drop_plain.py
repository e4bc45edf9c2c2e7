"""Attachment names sealed at rest, step 3 of 3: the plain column goes (the name is sealed
in ``sealed``). Going back brings it back empty, for step 2 to fill."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0013_seal_attachment_names"),
    ]

    operations = [
        # With a default, so that going back adds it again to a table that has rows.
        migrations.AlterField(
            model_name="attachment",
            name="name",
            field=models.CharField(default="", max_length=200, verbose_name="file name"),
        ),
        migrations.RemoveField(model_name="attachment", name="name"),
    ]
