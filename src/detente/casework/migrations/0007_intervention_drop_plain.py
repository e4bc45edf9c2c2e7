"""Cases raised sealed at rest, step 3 of 3: the plain columns go (their text is sealed
in ``sealed``). Going back brings them back empty, for step 2 to fill."""

from django.db import migrations, models

# The plain columns as they were, but with a default: going back, they are added again to
# a table that has rows (SQLite rebuilds it), and step 2 fills them.
PLAIN = {
    "official": models.CharField(
        blank=True, default="", max_length=200, verbose_name="official, by role"
    ),
    "raised_by": models.CharField(default="", max_length=150, verbose_name="raised by"),
    "asked": models.TextField(default="", verbose_name="what was asked"),
    "answer": models.TextField(blank=True, default="", verbose_name="the answer"),
    "next_step": models.TextField(blank=True, default="", verbose_name="next step"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_seal_interventions"),
    ]

    operations = [
        *(
            migrations.AlterField(model_name="intervention", name=name, field=field)
            for name, field in PLAIN.items()
        ),
        *(migrations.RemoveField(model_name="intervention", name=name) for name in PLAIN),
    ]
