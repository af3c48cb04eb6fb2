public import OTCStore

/// Tables of the receivables module. Customer master data first; the AR subledger follows with
/// the billing issue.
public enum ReceivablesMigrations {
    public static let all: [Migration] = [
        Migration(module: "receivables", version: 1, name: "customers", statements: [
            """
            CREATE TABLE customers (
                number text PRIMARY KEY,
                name text NOT NULL,
                currency char(3) NOT NULL,
                country text NOT NULL DEFAULT '',
                tax_id text NOT NULL DEFAULT '',
                email text NOT NULL DEFAULT '',
                blocked boolean NOT NULL DEFAULT false,
                block_reason text NOT NULL DEFAULT '',
                payment_terms text NOT NULL DEFAULT 'NET30',
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                version bigint NOT NULL DEFAULT 1
            )
            """,
            "CREATE INDEX customers_name ON customers (lower(name))",
        ]),
    ]
}
