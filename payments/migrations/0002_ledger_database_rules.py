"""The ledger's rules, enforced by the database itself (not only by Python).

Posting order (``payments.ledger.ledger_post``): entries first, transaction row
last. Then:

* inserting a transaction row checks its entries: two or more, summing to 0;
* an entry cannot be added to a transaction row that already exists;
* an entry whose transaction row never gets written fails at commit, because
  Django's foreign keys are ``DEFERRABLE INITIALLY DEFERRED``;
* entries and transactions cannot be updated; on PostgreSQL they cannot be
  deleted either (TRUNCATE, used to empty a test database, still works);
* PostgreSQL also runs a deferred constraint trigger at commit that re-checks
  the sum of every transaction an inserted entry belongs to, which covers
  entries inserted by another, concurrent database transaction.

SQLite cannot defer a trigger and empties tables with DELETE when tests flush
the database, so on SQLite deletes are not blocked; everything else holds.
"""

from django.db import migrations

TX = "payments_ledgertransaction"
ENTRY = "payments_ledgerentry"

POSTGRES_UP = f"""
CREATE FUNCTION payments_ledger_check_header() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    total bigint;
BEGIN
    SELECT count(*), coalesce(sum(amount_cents), 0) INTO n, total FROM {ENTRY} WHERE transaction_id = NEW.id;
    IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to %', NEW.id, n, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER payments_ledger_header_balanced BEFORE INSERT ON {TX}
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_check_header();

CREATE FUNCTION payments_ledger_refuse_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {TX} WHERE id = NEW.transaction_id) THEN
        RAISE EXCEPTION 'ledger transaction % is already written; entries cannot be added', NEW.transaction_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER payments_ledger_entry_sealed BEFORE INSERT ON {ENTRY}
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_refuse_sealed();

CREATE FUNCTION payments_ledger_check_balanced_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
BEGIN
    SELECT coalesce(sum(amount_cents), 0) INTO total FROM {ENTRY} WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced at commit: entries sum to %', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER payments_ledger_entry_balanced_at_commit AFTER INSERT ON {ENTRY}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_check_balanced_at_commit();

CREATE FUNCTION payments_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER payments_ledger_tx_immutable BEFORE UPDATE OR DELETE ON {TX}
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_immutable();
CREATE TRIGGER payments_ledger_entry_immutable BEFORE UPDATE OR DELETE ON {ENTRY}
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_immutable();
"""

POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS payments_ledger_entry_immutable ON {ENTRY};
DROP TRIGGER IF EXISTS payments_ledger_tx_immutable ON {TX};
DROP TRIGGER IF EXISTS payments_ledger_entry_balanced_at_commit ON {ENTRY};
DROP TRIGGER IF EXISTS payments_ledger_entry_sealed ON {ENTRY};
DROP TRIGGER IF EXISTS payments_ledger_header_balanced ON {TX};
DROP FUNCTION IF EXISTS payments_ledger_immutable();
DROP FUNCTION IF EXISTS payments_ledger_check_balanced_at_commit();
DROP FUNCTION IF EXISTS payments_ledger_refuse_sealed();
DROP FUNCTION IF EXISTS payments_ledger_check_header();
"""

SQLITE_UP = [
    f"""
    CREATE TRIGGER payments_ledger_header_balanced BEFORE INSERT ON {TX}
    WHEN (SELECT count(*) FROM {ENTRY} WHERE transaction_id = NEW.id) < 2
      OR (SELECT coalesce(sum(amount_cents), 0) FROM {ENTRY} WHERE transaction_id = NEW.id) <> 0
    BEGIN
        SELECT RAISE(ABORT, 'ledger transaction is unbalanced');
    END
    """,
    f"""
    CREATE TRIGGER payments_ledger_entry_sealed BEFORE INSERT ON {ENTRY}
    WHEN EXISTS (SELECT 1 FROM {TX} WHERE id = NEW.transaction_id)
    BEGIN
        SELECT RAISE(ABORT, 'ledger transaction is already written; entries cannot be added');
    END
    """,
    f"""
    CREATE TRIGGER payments_ledger_tx_immutable BEFORE UPDATE ON {TX}
    BEGIN
        SELECT RAISE(ABORT, 'ledger rows are immutable');
    END
    """,
    f"""
    CREATE TRIGGER payments_ledger_entry_immutable BEFORE UPDATE ON {ENTRY}
    BEGIN
        SELECT RAISE(ABORT, 'ledger rows are immutable');
    END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS payments_ledger_entry_immutable",
    "DROP TRIGGER IF EXISTS payments_ledger_tx_immutable",
    "DROP TRIGGER IF EXISTS payments_ledger_entry_sealed",
    "DROP TRIGGER IF EXISTS payments_ledger_header_balanced",
]


def _run(schema_editor, postgres_sql, sqlite_statements):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres_sql, params=None)
    elif vendor == "sqlite":
        for statement in sqlite_statements:
            schema_editor.execute(statement, params=None)
    else:  # pragma: no cover - the project runs on these two
        raise RuntimeError(f"payments: no ledger rules written for database vendor {vendor!r}")


def forwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_UP, SQLITE_UP)


def backwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
