"""Fill the name search index for the people recorded before it existed."""

from typing import Any

from django.db import migrations


def fill(apps: Any, schema_editor: Any) -> None:
    # The token rules are pure functions of the names; imported, not copied, so the index
    # built here is the one the services keep up afterwards.
    from detente.registry.search import identity_tokens

    identity_model = apps.get_model("registry", "Identity")
    token_model = apps.get_model("registry", "NameToken")
    fields = ("person_id", "given_names", "paternal_surname", "maternal_surname", "aliases")
    batch = []
    for pid, given, paternal, maternal, aliases in (
        identity_model.objects.order_by("person_id").values_list(*fields).iterator(chunk_size=2000)
    ):
        for token in sorted(identity_tokens(given, paternal, maternal, list(aliases or ()))):
            batch.append(token_model(person_id=pid, token=token))
        if len(batch) >= 5000:
            token_model.objects.bulk_create(batch)
            batch = []
    token_model.objects.bulk_create(batch)


def empty(apps: Any, schema_editor: Any) -> None:
    apps.get_model("registry", "NameToken").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_name_tokens")]

    operations = [migrations.RunPython(fill, empty)]
