"""Tasks sealed at rest, step 3 of 3: the plain columns go (their text is sealed in
``sealed``). Going back brings them back empty, for step 2 to fill."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_seal_tasks"),
    ]

    operations = [
        # With a default, so that going back adds them again to a table that has rows.
        migrations.AlterField(
            model_name="task",
            name="title",
            field=models.CharField(default="", max_length=200, verbose_name="what to do"),
        ),
        migrations.AlterField(
            model_name="task",
            name="details",
            field=models.TextField(blank=True, default="", verbose_name="details"),
        ),
        migrations.RemoveField(model_name="task", name="title"),
        migrations.RemoveField(model_name="task", name="details"),
    ]
