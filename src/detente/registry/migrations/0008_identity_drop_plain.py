"""Identities sealed at rest, step 3 of 3: the plain columns go (they are in ``sealed``)."""

from django.db import migrations

FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "province",
    "municipality",
    "affiliation",
)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_seal_identities"),
    ]

    operations = [migrations.RemoveField(model_name="identity", name=name) for name in FIELDS]
