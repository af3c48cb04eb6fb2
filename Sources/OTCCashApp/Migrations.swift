public import OTCStore

/// Tables of cash application: imported bank files (raw content kept) and their receipts.
public enum CashAppMigrations {
    public static let all: [Migration] = [
        Migration(module: "cashapp", version: 1, name: "bank files and receipts", statements: [
            """
            CREATE TABLE bank_files (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                sha256 bytea NOT NULL UNIQUE,
                format text NOT NULL,
                file_name text NOT NULL DEFAULT '',
                content bytea NOT NULL,
                statements int NOT NULL,
                receipts_new int NOT NULL,
                receipts_existing int NOT NULL,
                errors jsonb NOT NULL DEFAULT '[]',
                principal text NOT NULL,
                imported_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE receipts (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                file_id uuid NOT NULL REFERENCES bank_files(id),
                statement_id text NOT NULL,
                reference text NOT NULL,
                account text NOT NULL DEFAULT '',
                amount bigint NOT NULL CHECK (amount > 0),
                currency char(3) NOT NULL,
                is_credit boolean NOT NULL,
                is_reversal boolean NOT NULL DEFAULT false,
                booking_date date,
                value_date date,
                payer_name text NOT NULL DEFAULT '',
                payer_account text NOT NULL DEFAULT '',
                end_to_end_id text NOT NULL DEFAULT '',
                structured_references text[] NOT NULL DEFAULT '{}',
                remittance_text text NOT NULL DEFAULT '',
                bank_reference text NOT NULL DEFAULT '',
                charges bigint NOT NULL DEFAULT 0,
                status text NOT NULL CHECK (status IN ('unmatched', 'applied', 'exception', 'not_applicable')),
                created_at timestamptz NOT NULL DEFAULT now(),
                -- The same entry in a second file is the same receipt: imports are idempotent.
                UNIQUE (statement_id, reference)
            )
            """,
            "CREATE INDEX receipts_status ON receipts (status, seq)",
            "CREATE INDEX receipts_file ON receipts (file_id, seq)",
            "CREATE TRIGGER bank_files_append_only BEFORE UPDATE OR DELETE ON bank_files FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        ]),
        Migration(module: "cashapp", version: 2, name: "matches and payer accounts", statements: [
            "ALTER TABLE receipts ADD COLUMN payment_item_id uuid REFERENCES ar_items(id)",
            """
            CREATE TABLE receipt_matches (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                receipt_id uuid NOT NULL REFERENCES receipts(id),
                customer_number text,
                rule text NOT NULL,
                evidence jsonb NOT NULL,
                confidence int NOT NULL,
                allocations jsonb NOT NULL,
                differences jsonb NOT NULL,
                status text NOT NULL CHECK (status IN ('applied', 'proposed')),
                rules_version int NOT NULL,
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX receipt_matches_receipt ON receipt_matches (receipt_id, seq)",
            "CREATE TRIGGER receipt_matches_append_only BEFORE UPDATE OR DELETE ON receipt_matches FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            """
            CREATE TABLE payer_accounts (
                account text PRIMARY KEY,
                customer_number text NOT NULL REFERENCES customers(number),
                learned_from uuid REFERENCES receipts(id),
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
            Migration(module: "cashapp", version: 3, name: "applications, reversals, remittance advices and upload parts", statements: [
            // What one application of a receipt posted (its payment item and the ledger
            // applications), and its reversal as a row of its own: nothing here is edited.
            """
            CREATE TABLE receipt_applications (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                receipt_id uuid NOT NULL REFERENCES receipts(id),
                payment_item_id uuid NOT NULL REFERENCES ar_items(id),
                ledger_applications uuid[] NOT NULL DEFAULT '{}',
                disputes text[] NOT NULL DEFAULT '{}',
                reversal_of uuid UNIQUE REFERENCES receipt_applications(id),
                reason text NOT NULL DEFAULT '',
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX receipt_applications_receipt ON receipt_applications (receipt_id, seq)",
            "CREATE TRIGGER receipt_applications_append_only BEFORE UPDATE OR DELETE ON receipt_applications FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            // Receipts applied before this version: their payment item and what it settled.
            """
            INSERT INTO receipt_applications (receipt_id, payment_item_id, ledger_applications, principal, created_at)
            SELECT r.id, r.payment_item_id,
                   coalesce((SELECT array_agg(a.id ORDER BY a.seq) FROM ar_applications a WHERE a.source_item_id = r.payment_item_id), '{}'),
                   'migration', r.created_at
            FROM receipts r WHERE r.status = 'applied' AND r.payment_item_id IS NOT NULL
            """,
            """
            CREATE TABLE remittance_advices (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                reference text NOT NULL UNIQUE,
                customer_number text NOT NULL DEFAULT '',
                payer_name text NOT NULL DEFAULT '',
                payment_reference text NOT NULL DEFAULT '',
                payment_date date,
                amount bigint NOT NULL DEFAULT 0,
                currency char(3),
                lines jsonb NOT NULL,
                source text NOT NULL,
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX remittance_advices_payment_reference ON remittance_advices (payment_reference)",
            // Which receipt used an advice (one each way); a reversal frees the advice again.
            """
            CREATE TABLE remittance_advice_uses (
                advice_id uuid NOT NULL REFERENCES remittance_advices(id),
                receipt_id uuid NOT NULL REFERENCES receipts(id),
                application_id uuid NOT NULL REFERENCES receipt_applications(id),
                released boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE UNIQUE INDEX remittance_advice_in_use ON remittance_advice_uses (advice_id) WHERE NOT released",
            "CREATE TRIGGER remittance_advices_append_only BEFORE UPDATE OR DELETE ON remittance_advices FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            // Parts of a large bank file, until the last arrives (then the file is imported whole).
            """
            CREATE TABLE bank_file_parts (
                upload_id text NOT NULL,
                part int NOT NULL CHECK (part >= 0),
                content bytea NOT NULL,
                principal text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (upload_id, part)
            )
            """,
        ]),
    ]
}
