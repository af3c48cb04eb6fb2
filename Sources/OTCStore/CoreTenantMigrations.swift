/// Tables every tenant schema has, whatever processes it runs: the migration record, idempotency
/// keys, the append-only audit log, the work queue and the versioned rule sets.
public enum CoreTenantMigrations {
    public static let all: [Migration] = [
        Migration(module: "core", version: 1, name: "idempotency, audit, tasks, rules", statements: [
            """
            CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """,
            """
            CREATE TABLE idempotency_keys (
                key text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
                method text NOT NULL,
                request_digest bytea NOT NULL,
                response bytea,
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)",
            """
            CREATE TABLE audit_log (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT clock_timestamp(),
                principal text NOT NULL,
                request_id text NOT NULL,
                method text NOT NULL,
                action text NOT NULL,
                entity_type text NOT NULL,
                entity_id text NOT NULL,
                details jsonb NOT NULL DEFAULT '{}'
            )
            """,
            "CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id)",
            """
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION refuse_change()
            """,
            """
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
            """,
            """
            CREATE TABLE tasks (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                kind text NOT NULL,
                subject_type text NOT NULL,
                subject_id text NOT NULL,
                title text NOT NULL,
                status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
                sla_due_at timestamptz NOT NULL,
                assignee text,
                rules_version int NOT NULL,
                details jsonb NOT NULL DEFAULT '{}',
                created_at timestamptz NOT NULL DEFAULT now(),
                closed_at timestamptz,
                closed_by text,
                resolution text
            )
            """,
            "CREATE INDEX tasks_open_by_sla ON tasks (sla_due_at) WHERE status = 'open'",
            "CREATE INDEX tasks_subject ON tasks (subject_type, subject_id)",
            """
            CREATE TABLE rule_sets (
                version int PRIMARY KEY,
                effective_from timestamptz NOT NULL DEFAULT now(),
                body jsonb NOT NULL,
                note text NOT NULL DEFAULT '',
                created_by text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
    ]
}
