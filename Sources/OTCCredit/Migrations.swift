public import OTCStore

/// Tables of credit management: profiles with their history, order reservations (the order part
/// of exposure), limit requests and the log of credit decisions on orders.
public enum CreditMigrations {
    public static let all: [Migration] = [
        Migration(module: "credit", version: 1, name: "profiles, reservations, limit requests, decisions", statements: [
            """
            CREATE TABLE credit_profiles (
                customer_number text PRIMARY KEY REFERENCES customers(number),
                currency char(3) NOT NULL,
                credit_limit bigint CHECK (credit_limit >= 0),
                risk_class text NOT NULL DEFAULT '',
                score int CHECK (score BETWEEN 0 AND 100),
                external_rating int CHECK (external_rating BETWEEN 0 AND 100),
                next_review date,
                blocked boolean NOT NULL DEFAULT false,
                block_reason text NOT NULL DEFAULT '',
                version bigint NOT NULL DEFAULT 1,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX credit_profiles_review ON credit_profiles (next_review)",
            """
            CREATE TABLE credit_profile_history (
                id bigserial PRIMARY KEY,
                customer_number text NOT NULL,
                version bigint NOT NULL,
                principal text NOT NULL,
                request_id text NOT NULL,
                reason text NOT NULL,
                rules_version int NOT NULL,
                changes jsonb NOT NULL,
                at timestamptz NOT NULL DEFAULT clock_timestamp(),
                UNIQUE (customer_number, version)
            )
            """,
            "CREATE TRIGGER credit_profile_history_append_only BEFORE UPDATE OR DELETE ON credit_profile_history FOR EACH ROW EXECUTE FUNCTION refuse_change()",
            """
            CREATE TABLE credit_reservations (
                order_id uuid PRIMARY KEY,
                order_ref text NOT NULL,
                customer_number text NOT NULL,
                currency char(3) NOT NULL,
                unshipped bigint NOT NULL CHECK (unshipped >= 0),
                shipped_not_invoiced bigint NOT NULL CHECK (shipped_not_invoiced >= 0),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX credit_reservations_customer ON credit_reservations (customer_number, currency)",
            """
            CREATE TABLE credit_limit_requests (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                customer_number text NOT NULL REFERENCES customers(number),
                currency char(3) NOT NULL,
                current_limit bigint,
                requested_limit bigint NOT NULL CHECK (requested_limit >= 0),
                justification text NOT NULL CHECK (length(trim(justification)) > 0),
                status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
                requested_by text NOT NULL,
                requested_at timestamptz NOT NULL DEFAULT now(),
                decided_by text,
                decided_at timestamptz,
                decision_note text NOT NULL DEFAULT '',
                rules_version int NOT NULL,
                released_orders text[] NOT NULL DEFAULT '{}',
                -- Four eyes, enforced by the database too.
                CHECK (decided_by IS NULL OR decided_by <> requested_by),
                CHECK ((status = 'pending') = (decided_by IS NULL))
            )
            """,
            "CREATE UNIQUE INDEX credit_limit_requests_one_pending ON credit_limit_requests (customer_number) WHERE status = 'pending'",
            """
            CREATE TABLE credit_decisions (
                id bigserial PRIMARY KEY,
                order_id uuid NOT NULL,
                order_ref text NOT NULL,
                customer_number text NOT NULL,
                decision text NOT NULL CHECK (decision IN ('approved', 'hold', 'released', 'rejected')),
                code text NOT NULL DEFAULT '',
                reason text NOT NULL,
                currency char(3) NOT NULL,
                order_value bigint NOT NULL,
                exposure bigint,
                credit_limit bigint,
                rules_version int NOT NULL,
                principal text NOT NULL,
                at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX credit_decisions_order ON credit_decisions (order_id, id)",
            "CREATE TRIGGER credit_decisions_append_only BEFORE UPDATE OR DELETE ON credit_decisions FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        ]),
    ]
}
