public import OTCStore

/// Tables of the receivables module: customer master data and the AR subledger (open items,
/// postings, applications) with the check that proves it consistent.
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
        Migration(module: "receivables", version: 2, name: "AR subledger", statements: ledgerStatements),
    ]

    static let ledgerStatements = [
        """
        ALTER TABLE customers ADD COLUMN invoice_channel text NOT NULL DEFAULT 'email'
            CHECK (invoice_channel IN ('email', 'edi', 'portal', 'print'))
        """,
        """
        CREATE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the ledger is append-only: % on % refused; post a reversal instead', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """,
        """
        CREATE TABLE ar_postings (
            id uuid PRIMARY KEY,
            seq bigserial NOT NULL UNIQUE,
            currency char(3) NOT NULL,
            description text NOT NULL,
            posted_on date NOT NULL,
            principal text NOT NULL,
            request_id text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE ar_posting_lines (
            posting_id uuid NOT NULL REFERENCES ar_postings(id),
            line_no int NOT NULL,
            account text NOT NULL CHECK (account IN ('receivables', 'revenue', 'tax', 'cash', 'discount', 'write_off',
                                                     'bank_charges', 'on_account')),
            customer_number text,
            item_id uuid,
            amount bigint NOT NULL CHECK (amount <> 0),
            PRIMARY KEY (posting_id, line_no),
            CHECK ((account IN ('receivables', 'on_account')) = (customer_number IS NOT NULL))
        )
        """,
        "CREATE INDEX ar_posting_lines_account ON ar_posting_lines (account, customer_number)",
        """
        CREATE TABLE ar_items (
            id uuid PRIMARY KEY,
            seq bigserial NOT NULL UNIQUE,
            kind text NOT NULL CHECK (kind IN ('invoice', 'debit_memo', 'credit_memo', 'payment_on_account')),
            account text NOT NULL CHECK (account IN ('receivables', 'on_account')),
            customer_number text NOT NULL,
            currency char(3) NOT NULL,
            amount bigint NOT NULL CHECK (amount <> 0),
            open_amount bigint NOT NULL,
            document_id uuid NOT NULL UNIQUE,
            document_number text NOT NULL,
            issue_date date NOT NULL,
            due_date date,
            discount_date date,
            discount_amount bigint NOT NULL DEFAULT 0,
            posting_id uuid NOT NULL REFERENCES ar_postings(id),
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK (sign(open_amount) IN (0, sign(amount)) AND abs(open_amount) <= abs(amount)),
            CHECK ((kind IN ('invoice', 'debit_memo')) = (amount > 0))
        )
        """,
        "CREATE INDEX ar_items_customer_open ON ar_items (customer_number, currency, due_date) WHERE open_amount <> 0",
        "CREATE INDEX ar_items_due_open ON ar_items (due_date) WHERE open_amount <> 0",
        "CREATE INDEX ar_items_customer_issue ON ar_items (customer_number, issue_date)",
        "CREATE INDEX ar_items_number ON ar_items (document_number)",
        """
        CREATE TABLE ar_applications (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            seq bigserial NOT NULL UNIQUE,
            item_id uuid NOT NULL REFERENCES ar_items(id),
            source_item_id uuid REFERENCES ar_items(id),
            source_account text CHECK (source_account IN ('cash', 'discount', 'write_off', 'bank_charges')),
            -- Positive: settles the item(s); a reversal row carries the negated amount.
            amount bigint NOT NULL CHECK (amount <> 0),
            applied_on date NOT NULL,
            posting_id uuid REFERENCES ar_postings(id),
            reason text NOT NULL DEFAULT '',
            reversal_of uuid UNIQUE REFERENCES ar_applications(id),
            principal text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((source_item_id IS NULL) <> (source_account IS NULL)),
            CHECK ((reversal_of IS NULL) = (amount > 0))
        )
        """,
        "CREATE INDEX ar_applications_item ON ar_applications (item_id)",
        "CREATE INDEX ar_applications_source ON ar_applications (source_item_id) WHERE source_item_id IS NOT NULL",
        """
        CREATE FUNCTION ar_items_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' OR (NEW.id, NEW.kind, NEW.account, NEW.customer_number, NEW.currency, NEW.amount,
                NEW.document_id, NEW.document_number, NEW.issue_date, NEW.due_date, NEW.discount_date,
                NEW.discount_amount, NEW.posting_id)
                IS DISTINCT FROM (OLD.id, OLD.kind, OLD.account, OLD.customer_number, OLD.currency, OLD.amount,
                OLD.document_id, OLD.document_number, OLD.issue_date, OLD.due_date, OLD.discount_date,
                OLD.discount_amount, OLD.posting_id)
            THEN
                RAISE EXCEPTION 'open items change only by applications: % on ar_items refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$
        """,
        "CREATE TRIGGER ar_items_guard BEFORE UPDATE OR DELETE ON ar_items FOR EACH ROW EXECUTE FUNCTION ar_items_guard()",
        "CREATE TRIGGER ar_postings_append_only BEFORE UPDATE OR DELETE ON ar_postings FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change()",
        "CREATE TRIGGER ar_posting_lines_append_only BEFORE UPDATE OR DELETE ON ar_posting_lines FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change()",
        "CREATE TRIGGER ar_applications_append_only BEFORE UPDATE OR DELETE ON ar_applications FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change()",
        """
        CREATE TRIGGER ar_no_truncate BEFORE TRUNCATE ON ar_items FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change()
        """,
        """
        CREATE TRIGGER ar_postings_no_truncate BEFORE TRUNCATE ON ar_postings FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change()
        """,
        """
        CREATE TRIGGER ar_posting_lines_no_truncate BEFORE TRUNCATE ON ar_posting_lines FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change()
        """,
        """
        CREATE TRIGGER ar_applications_no_truncate BEFORE TRUNCATE ON ar_applications FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change()
        """,
        // The invariants of the subledger, as one function tests and operators run. Each row is a
        // violation; no rows means consistent.
        """
        CREATE FUNCTION ledger_check() RETURNS TABLE (rule text, subject text, detail text) LANGUAGE sql STABLE AS $$
            SELECT 'posting_balance', p.id::text, 'lines sum to ' || sum(l.amount) || ' ' || p.currency
            FROM ar_postings p LEFT JOIN ar_posting_lines l ON l.posting_id = p.id
            GROUP BY p.id, p.currency HAVING coalesce(sum(l.amount), 1) <> 0
            UNION ALL
            SELECT 'item_open_amount', i.document_number,
                   'open ' || i.open_amount || ' but amount ' || i.amount || ' minus applications ' || coalesce(a.settled, 0)
                   || ' gives ' || (i.amount - sign(i.amount)::bigint * coalesce(a.settled, 0))
            FROM ar_items i
            LEFT JOIN (SELECT x.item, sum(x.amount) AS settled FROM (
                           SELECT item_id AS item, amount FROM ar_applications
                           UNION ALL
                           SELECT source_item_id, amount FROM ar_applications WHERE source_item_id IS NOT NULL) x
                       GROUP BY x.item) a ON a.item = i.id
            WHERE i.open_amount <> i.amount - sign(i.amount)::bigint * coalesce(a.settled, 0)
            UNION ALL
            SELECT 'account_balance', coalesce(i.account, l.account) || ' ' || coalesce(i.currency, l.currency) || ' '
                       || coalesce(i.customer_number, l.customer_number),
                   'open items sum to ' || coalesce(i.open, 0) || ' but postings to ' || coalesce(l.balance, 0)
            FROM (SELECT account, currency, customer_number, sum(open_amount) AS open FROM ar_items
                  GROUP BY account, currency, customer_number) i
            FULL JOIN (SELECT l.account, p.currency, l.customer_number, sum(l.amount) AS balance
                       FROM ar_posting_lines l JOIN ar_postings p ON p.id = l.posting_id
                       WHERE l.account IN ('receivables', 'on_account')
                       GROUP BY l.account, p.currency, l.customer_number) l
              ON l.account = i.account AND l.currency = i.currency AND l.customer_number = i.customer_number
            WHERE coalesce(i.open, 0) <> coalesce(l.balance, 0)
            UNION ALL
            SELECT 'application_amount', a.id::text, 'reversal of ' || a.reversal_of || ' does not negate it'
            FROM ar_applications a JOIN ar_applications o ON o.id = a.reversal_of
            WHERE a.amount <> -o.amount OR a.item_id <> o.item_id
        $$
        """,
    ]
}
