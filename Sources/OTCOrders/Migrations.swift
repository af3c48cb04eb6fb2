public import OTCStore

/// Tables of order management.
public enum OrderMigrations {
    public static let all: [Migration] = [
        Migration(module: "orders", version: 1, name: "orders, lines, shipments", statements: [
            """
            CREATE TABLE orders (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                seq bigserial NOT NULL UNIQUE,
                order_ref text NOT NULL UNIQUE,
                customer_number text NOT NULL,
                customer_po text NOT NULL DEFAULT '',
                currency char(3) NOT NULL,
                status text NOT NULL CHECK (status IN ('received', 'validation_hold', 'credit_hold', 'released',
                    'partially_shipped', 'shipped', 'invoiced', 'closed', 'cancelled')),
                net_total bigint NOT NULL,
                requested_date date,
                discrepancies jsonb NOT NULL DEFAULT '[]',
                hold_reason text NOT NULL DEFAULT '',
                cancel_reason text NOT NULL DEFAULT '',
                rules_version int NOT NULL,
                create_digest bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                version bigint NOT NULL DEFAULT 1
            )
            """,
            "CREATE INDEX orders_customer_po ON orders (customer_number, customer_po) WHERE customer_po <> ''",
            "CREATE INDEX orders_status_seq ON orders (status, seq)",
            "CREATE INDEX orders_customer_seq ON orders (customer_number, seq)",
            """
            CREATE TABLE order_lines (
                order_id uuid NOT NULL REFERENCES orders(id),
                line_no int NOT NULL CHECK (line_no > 0),
                sku text NOT NULL,
                description text NOT NULL,
                quantity bigint NOT NULL,
                unit_of_measure text NOT NULL,
                unit_price bigint NOT NULL,
                price_currency char(3) NOT NULL,
                tax_code text NOT NULL,
                shipped_quantity bigint NOT NULL DEFAULT 0 CHECK (shipped_quantity >= 0),
                PRIMARY KEY (order_id, line_no)
            )
            """,
            """
            CREATE TABLE shipments (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                order_id uuid NOT NULL REFERENCES orders(id),
                shipment_ref text NOT NULL,
                lines jsonb NOT NULL,
                carrier text NOT NULL DEFAULT '',
                tracking text NOT NULL DEFAULT '',
                shipped_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (order_id, shipment_ref)
            )
            """,
        ]),
        Migration(module: "orders", version: 2, name: "invoiced quantities", statements: [
            "ALTER TABLE order_lines ADD COLUMN invoiced_quantity bigint NOT NULL DEFAULT 0",
            // Never bill what has not shipped, whatever path bills it.
            "ALTER TABLE order_lines ADD CONSTRAINT invoiced_le_shipped CHECK (invoiced_quantity BETWEEN 0 AND shipped_quantity)",
            "ALTER TABLE shipments ADD COLUMN invoice_id uuid",
            "CREATE INDEX shipments_unbilled ON shipments (shipped_at, order_id) WHERE invoice_id IS NULL",
        ]),
    ]
}
