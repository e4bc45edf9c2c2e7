"""Identities sealed at rest, step 1 of 3: the column that holds them sealed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_identity_country_division"),
    ]

    operations = [
        migrations.AddField(
            model_name="identity",
            name="sealed",
            field=models.TextField(default="", editable=False, verbose_name="identity (sealed)"),
            preserve_default=False,
        ),
    ]
