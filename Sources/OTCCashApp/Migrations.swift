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
    ]
}
