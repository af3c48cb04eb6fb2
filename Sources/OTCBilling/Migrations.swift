public import OTCStore

/// Tables of billing: documents and their lines (never edited once issued), the gapless number
/// series, and distribution attempts.
public enum BillingMigrations {
    public static let all: [Migration] = [
        Migration(module: "billing", version: 1, name: "documents, numbering, distribution", statements: [
            """
            CREATE FUNCTION refuse_document_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'issued documents are never edited or deleted: % on % refused; issue a credit or debit memo',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$
            """,
            """
            CREATE TABLE number_series (
                series text PRIMARY KEY,
                kind text NOT NULL,
                next_value bigint NOT NULL CHECK (next_value >= 1),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE billing_documents (
                id uuid PRIMARY KEY,
                seq bigserial NOT NULL UNIQUE,
                kind text NOT NULL CHECK (kind IN ('invoice', 'credit_memo', 'debit_memo')),
                number text NOT NULL UNIQUE,
                series text NOT NULL,
                series_value bigint NOT NULL,
                customer_number text NOT NULL,
                buyer jsonb NOT NULL,
                currency char(3) NOT NULL,
                issue_date date NOT NULL,
                due_date date,
                payment_terms text NOT NULL,
                discount_date date,
                discount_amount bigint NOT NULL DEFAULT 0,
                net_total bigint NOT NULL,
                tax_total bigint NOT NULL,
                gross_total bigint NOT NULL CHECK (gross_total >= 0),
                reference_id uuid REFERENCES billing_documents(id),
                reference_number text NOT NULL DEFAULT '',
                cancels_reference boolean NOT NULL DEFAULT false,
                order_ref text NOT NULL DEFAULT '',
                customer_po text NOT NULL DEFAULT '',
                external_ref text NOT NULL DEFAULT '',
                create_digest bytea,
                reason text NOT NULL DEFAULT '',
                rules_version int NOT NULL,
                created_by text NOT NULL,
                request_id text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (series, series_value),
                CHECK ((kind = 'invoice') = (reference_id IS NULL))
            )
            """,
            "CREATE UNIQUE INDEX billing_documents_external_ref ON billing_documents (external_ref) WHERE kind = 'invoice' AND external_ref <> ''",
            "CREATE INDEX billing_documents_customer ON billing_documents (customer_number, seq)",
            "CREATE INDEX billing_documents_reference ON billing_documents (reference_id) WHERE reference_id IS NOT NULL",
            "CREATE INDEX billing_documents_order ON billing_documents (order_ref) WHERE order_ref <> ''",
            "CREATE INDEX billing_documents_issue ON billing_documents (issue_date, seq)",
            """
            CREATE TABLE billing_document_lines (
                document_id uuid NOT NULL REFERENCES billing_documents(id) DEFERRABLE INITIALLY DEFERRED,
                line_no int NOT NULL CHECK (line_no > 0),
                sku text NOT NULL,
                description text NOT NULL,
                quantity bigint NOT NULL CHECK (quantity >= 0),
                unit_of_measure text NOT NULL,
                unit_price bigint NOT NULL,
                net_amount bigint NOT NULL,
                tax_code text NOT NULL,
                tax_rate_bp int NOT NULL,
                tax_amount bigint NOT NULL,
                order_ref text,
                order_line_no int,
                shipment_id uuid,
                shipment_ref text,
                invoice_line_no int,
                PRIMARY KEY (document_id, line_no)
            )
            """,
            // A shipment's order line is billed once, whatever the path (on shipment, run, by hand).
            "CREATE UNIQUE INDEX billing_lines_shipment ON billing_document_lines (shipment_id, order_line_no) WHERE shipment_id IS NOT NULL",
            "CREATE TRIGGER billing_documents_immutable BEFORE UPDATE OR DELETE ON billing_documents FOR EACH ROW EXECUTE FUNCTION refuse_document_change()",
            "CREATE TRIGGER billing_lines_immutable BEFORE UPDATE OR DELETE ON billing_document_lines FOR EACH ROW EXECUTE FUNCTION refuse_document_change()",
            "CREATE TRIGGER billing_documents_no_truncate BEFORE TRUNCATE ON billing_documents FOR EACH STATEMENT EXECUTE FUNCTION refuse_document_change()",
            "CREATE TRIGGER billing_lines_no_truncate BEFORE TRUNCATE ON billing_document_lines FOR EACH STATEMENT EXECUTE FUNCTION refuse_document_change()",
            """
            CREATE TABLE dispatches (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                document_id uuid NOT NULL REFERENCES billing_documents(id) DEFERRABLE INITIALLY DEFERRED,
                attempt int NOT NULL,
                channel text NOT NULL CHECK (channel IN ('email', 'edi', 'portal', 'print')),
                status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
                requested_at timestamptz NOT NULL DEFAULT now(),
                dispatched_at timestamptz,
                detail text NOT NULL DEFAULT '',
                requested_by text NOT NULL,
                UNIQUE (document_id, attempt)
            )
            """,
            "CREATE INDEX dispatches_undistributed ON dispatches (requested_at, document_id) WHERE status <> 'sent'",
        ]),
    ]
}
