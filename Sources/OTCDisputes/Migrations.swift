public import OTCStore

/// Tables of dispute resolution: disputes, the items they cover, and their history.
public enum DisputeMigrations {
    public static let all: [Migration] = [
        Migration(module: "disputes", version: 1, name: "disputes, items, events", statements: [
            """
            CREATE TABLE disputes (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                number text NOT NULL UNIQUE,
                customer_number text NOT NULL REFERENCES customers(number),
                reason_code text NOT NULL,
                currency char(3) NOT NULL,
                description text NOT NULL DEFAULT '',
                attachments jsonb NOT NULL DEFAULT '[]',
                status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_review', 'pending_customer', 'resolved_accepted',
                                                                     'resolved_rejected', 'closed')),
                owner_team text NOT NULL,
                assignee text NOT NULL DEFAULT '',
                sla_due_at timestamptz NOT NULL,
                escalated_at timestamptz,
                source text NOT NULL CHECK (source IN ('erp', 'operator', 'deduction')),
                external_ref text,
                accepted_amount bigint NOT NULL DEFAULT 0,
                credit_memos text[] NOT NULL DEFAULT '{}',
                resolution_note text NOT NULL DEFAULT '',
                opened_by text NOT NULL,
                opened_at timestamptz NOT NULL DEFAULT now(),
                resolved_at timestamptz,
                rules_version int NOT NULL,
                UNIQUE (external_ref)
            )
            """,
            "CREATE INDEX disputes_status ON disputes (status, sla_due_at)",
            "CREATE INDEX disputes_customer ON disputes (customer_number, seq)",
            """
            CREATE TABLE dispute_items (
                dispute_id uuid NOT NULL REFERENCES disputes(id),
                item_id uuid NOT NULL REFERENCES ar_items(id),
                document_number text NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                PRIMARY KEY (dispute_id, item_id)
            )
            """,
            "CREATE INDEX dispute_items_item ON dispute_items (item_id)",
            """
            CREATE TABLE dispute_events (
                id bigserial PRIMARY KEY,
                dispute_id uuid NOT NULL REFERENCES disputes(id),
                at timestamptz NOT NULL DEFAULT clock_timestamp(),
                principal text NOT NULL,
                from_status text NOT NULL,
                to_status text NOT NULL,
                note text NOT NULL DEFAULT ''
            )
            """,
            "CREATE INDEX dispute_events_dispute ON dispute_events (dispute_id, id)",
            "CREATE TRIGGER dispute_events_append_only BEFORE UPDATE OR DELETE ON dispute_events FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        ]),
    ]
}
