public import OTCStore

/// Tables of collections: accounts (collector, dunning hold), item holds, dunning runs and their
/// notices, the activity log, promises to pay and write-off requests.
public enum CollectionsMigrations {
    public static let all: [Migration] = [
        Migration(module: "collections", version: 1, name: "dunning, worklist, promises, write-offs", statements: [
            """
            CREATE TABLE collection_accounts (
                customer_number text PRIMARY KEY REFERENCES customers(number),
                collector text NOT NULL DEFAULT '',
                dunning_hold boolean NOT NULL DEFAULT false,
                hold_reason text NOT NULL DEFAULT '',
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX collection_accounts_collector ON collection_accounts (collector)",
            """
            CREATE TABLE collection_item_holds (
                item_id uuid PRIMARY KEY REFERENCES ar_items(id),
                document_number text NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                reason text NOT NULL,
                reference text NOT NULL DEFAULT '',
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE dunning_runs (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                as_of date NOT NULL,
                notices int NOT NULL,
                items int NOT NULL,
                skipped jsonb NOT NULL,
                rules_version int NOT NULL,
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE dunning_notices (
                id uuid PRIMARY KEY,
                seq bigserial NOT NULL UNIQUE,
                run_id uuid NOT NULL REFERENCES dunning_runs(id),
                customer_number text NOT NULL,
                currency char(3) NOT NULL,
                level int NOT NULL,
                action text NOT NULL,
                total bigint NOT NULL,
                as_of date NOT NULL,
                text text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX dunning_notices_customer ON dunning_notices (customer_number, seq)",
            "CREATE INDEX dunning_notices_run ON dunning_notices (run_id, seq)",
            """
            CREATE TABLE dunning_notice_items (
                notice_id uuid NOT NULL REFERENCES dunning_notices(id),
                item_id uuid NOT NULL REFERENCES ar_items(id),
                document_number text NOT NULL,
                level int NOT NULL,
                anchor_date date NOT NULL,
                due_date date NOT NULL,
                days_overdue int NOT NULL,
                open_amount bigint NOT NULL,
                disputed_amount bigint NOT NULL,
                dunned_amount bigint NOT NULL CHECK (dunned_amount > 0),
                PRIMARY KEY (notice_id, item_id),
                -- A notice is sent once per item, level and anchor: the run is idempotent.
                UNIQUE (item_id, level, anchor_date)
            )
            """,
            "CREATE TRIGGER dunning_notices_append_only BEFORE UPDATE OR DELETE ON dunning_notices FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            "CREATE TRIGGER dunning_notice_items_append_only BEFORE UPDATE OR DELETE ON dunning_notice_items FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            """
            CREATE TABLE collection_activities (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                customer_number text NOT NULL REFERENCES customers(number),
                kind text NOT NULL CHECK (kind IN ('call', 'email', 'letter', 'meeting', 'note', 'system')),
                outcome text NOT NULL DEFAULT '',
                note text NOT NULL DEFAULT '',
                follow_up date,
                principal text NOT NULL,
                at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX collection_activities_customer ON collection_activities (customer_number, seq)",
            "CREATE TRIGGER collection_activities_append_only BEFORE UPDATE OR DELETE ON collection_activities FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            """
            CREATE TABLE promises (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                customer_number text NOT NULL REFERENCES customers(number),
                currency char(3) NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                promised_date date NOT NULL,
                made_on date NOT NULL,
                status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'broken', 'cancelled')),
                paid bigint NOT NULL DEFAULT 0,
                note text NOT NULL DEFAULT '',
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                resolved_at timestamptz,
                CHECK ((status = 'open') = (resolved_at IS NULL))
            )
            """,
            "CREATE INDEX promises_open ON promises (promised_date) WHERE status = 'open'",
            "CREATE INDEX promises_customer ON promises (customer_number, seq)",
            """
            CREATE TABLE write_off_requests (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                item_id uuid NOT NULL REFERENCES ar_items(id),
                document_number text NOT NULL,
                customer_number text NOT NULL,
                currency char(3) NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                reason text NOT NULL CHECK (length(trim(reason)) > 0),
                status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
                requested_by text NOT NULL,
                requested_at timestamptz NOT NULL DEFAULT now(),
                decided_by text,
                decided_at timestamptz,
                decision_note text NOT NULL DEFAULT '',
                application_id uuid,
                rules_version int NOT NULL,
                CHECK (decided_by IS NULL OR decided_by <> requested_by),
                CHECK ((status = 'pending') = (decided_by IS NULL)),
                CHECK ((status = 'approved') = (application_id IS NOT NULL))
            )
            """,
            "CREATE UNIQUE INDEX write_off_requests_one_pending ON write_off_requests (item_id) WHERE status = 'pending'",
        ]),
    ]
}
