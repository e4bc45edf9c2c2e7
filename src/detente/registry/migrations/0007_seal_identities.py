"""Identities sealed at rest, step 2 of 3: the names, aliases, birth date and places of
every identity already stored, sealed together into ``sealed`` with the data key of
``registry.identity``, bound to the person; and the search tokens keyed (docs/keys.md).
A row already sealed is left as it is, so a run that was stopped is simply run again.
Going back opens them into the plain columns and writes the plain tokens again.

With identities to seal this needs the master key (made outside production when missing;
in production `detente keys init` first, or the migration stops saying so)."""

from typing import Any

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


def _owners(apps: Any) -> dict[int, int]:
    """Each person → whom their names are found as: themselves, or the end of the chain
    of merges they are in (as ``reconcile`` keeps a merged person's tokens)."""
    person_model = apps.get_model("registry", "Person")
    into = dict(person_model.objects.values_list("pk", "merged_into_id"))
    owners: dict[int, int] = {}
    for pid in into:
        current, steps = pid, 0
        while into.get(current) is not None and steps < 50:
            current, steps = into[current], steps + 1
        owners[pid] = current
    return owners


def _write_tokens(apps: Any, tokens_of: Any) -> None:
    identity_model = apps.get_model("registry", "Identity")
    token_model = apps.get_model("registry", "NameToken")
    owners = _owners(apps)
    by_owner: dict[int, set[str]] = {}
    for identity in identity_model.objects.order_by("pk").iterator(chunk_size=2000):
        owner = owners.get(identity.person_id, identity.person_id)
        by_owner.setdefault(owner, set()).update(tokens_of(identity))
    token_model.objects.all().delete()
    token_model.objects.bulk_create(
        [
            token_model(person_id=pid, token=t)
            for pid, tokens in sorted(by_owner.items())
            for t in sorted(tokens)
        ],
        batch_size=5000,
    )


def seal(apps: Any, schema_editor: Any) -> None:
    from detente.keys import ring
    from detente.registry import models as registry_models
    from detente.registry import search

    identity_model = apps.get_model("registry", "Identity")
    plain: dict[int, dict[str, Any]] = {}
    for row in identity_model.objects.order_by("pk").iterator(chunk_size=2000):
        if ring.key_id_of(row.sealed) is not None:
            values = registry_models.open_identity(row.person_id, row.sealed)
        else:
            values = {f: getattr(row, f) for f in FIELDS}
            row.sealed = registry_models.seal_identity(row.person_id, values)
            identity_model.objects.filter(pk=row.pk).update(sealed=row.sealed)
        plain[row.person_id] = values
    if not plain:
        return
    key = search.current_token_key()

    def tokens_of(identity: Any) -> set[str]:
        v = plain[identity.person_id]
        return search.stored_tokens(
            v["given_names"],
            v["paternal_surname"],
            v["maternal_surname"],
            list(v["aliases"] or ()),
            key,
        )

    _write_tokens(apps, tokens_of)


def unseal(apps: Any, schema_editor: Any) -> None:
    from detente.keys import ring
    from detente.registry import models as registry_models
    from detente.registry import search

    identity_model = apps.get_model("registry", "Identity")
    for row in identity_model.objects.order_by("pk").iterator(chunk_size=2000):
        if ring.key_id_of(row.sealed) is None:
            continue
        values = registry_models.open_identity(row.person_id, row.sealed)
        identity_model.objects.filter(pk=row.pk).update(sealed="", **values)

    def tokens_of(identity: Any) -> set[str]:
        return search.identity_tokens(
            identity.given_names,
            identity.paternal_surname,
            identity.maternal_surname,
            list(identity.aliases or ()),
        )

    _write_tokens(apps, tokens_of)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_identity_sealed"),
        ("keys", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
