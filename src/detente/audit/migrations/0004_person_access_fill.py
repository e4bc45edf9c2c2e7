"""The access index filled from the access entries already written, and made append-only
like the ledger it indexes."""

import json

from django.db import migrations

TABLE = "audit_personaccess"

SQLITE_UP = [
    f"""CREATE TRIGGER audit_access_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END""",
    f"""CREATE TRIGGER audit_access_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_access_no_update",
    "DROP TRIGGER IF EXISTS audit_access_no_delete",
]
# audit_refuse_change() is migration 0002's.
PG_UP = [
    f"""CREATE TRIGGER audit_access_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    f"""CREATE TRIGGER audit_access_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
]
PG_DOWN = [
    f"DROP TRIGGER IF EXISTS audit_access_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_access_no_update_delete ON {TABLE}",
]
UP = {"sqlite": SQLITE_UP, "postgresql": PG_UP}
DOWN = {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}


def fill(apps, schema_editor):
    entries = apps.get_model("audit", "AuditEntry")
    index = apps.get_model("audit", "PersonAccess")
    batch = []
    for position, data in (
        entries.objects.filter(kind="access").order_by("position").values_list("position", "data")
    ).iterator(chunk_size=5000):
        try:
            people = json.loads(data).get("people") or []
        except (ValueError, AttributeError):
            continue  # a tampered entry: `detente audit verify` names it
        for handle in sorted({h for h in people if isinstance(h, str) and 0 < len(h) <= 16}):
            batch.append(index(entry_id=position, handle=handle))
        if len(batch) >= 5000:
            index.objects.bulk_create(batch)
            batch = []
    index.objects.bulk_create(batch)


def triggers(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_person_access")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(triggers(UP), triggers(DOWN)),
    ]
