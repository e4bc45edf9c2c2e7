"""Tasks sealed at rest, step 3 of 3: the plain columns go (their text is sealed in
``sealed``). Going back brings them back empty, for step 2 to fill."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_seal_tasks"),
    ]

    operations = [
        migrations.RemoveField(model_name="task", name="title"),
        migrations.RemoveField(model_name="task", name="details"),
    ]
