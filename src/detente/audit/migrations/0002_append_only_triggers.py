"""The database itself refuses to change or remove ledger entries."""

from django.db import migrations

TABLE = "audit_auditentry"

SQLITE_UP = [
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END""",
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]

PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the audit ledger is append-only'; END
       $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    f"""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
]
PG_DOWN = [
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


UP = {"sqlite": SQLITE_UP, "postgresql": PG_UP}
DOWN = {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
