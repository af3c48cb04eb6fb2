/// The `otc_control` schema: tenants, credentials, operators, grants and the platform audit log.
/// Run by `otcctl bootstrap` and at every `otcd` start (idempotent).
enum ControlPlaneMigrations {
    static let all: [Migration] = [
        Migration(module: "control", version: 1, name: "control plane", statements: [
            """
            CREATE TABLE otc_control.tenants (
                slug text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{1,30}$'),
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                status text NOT NULL DEFAULT 'onboarding' CHECK (status IN ('onboarding', 'active', 'suspended')),
                status_reason text NOT NULL DEFAULT '',
                base_currency char(3) NOT NULL,
                time_zone text NOT NULL,
                schema_version int NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE otc_control.credentials (
                id text PRIMARY KEY,
                tenant text NOT NULL REFERENCES otc_control.tenants(slug),
                name text NOT NULL,
                scopes text[] NOT NULL,
                secret_hmac bytea NOT NULL,
                certificate_fingerprint text UNIQUE,
                status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
                created_by text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                revoked_at timestamptz,
                last_used_at timestamptz
            )
            """,
            "CREATE INDEX credentials_tenant ON otc_control.credentials (tenant)",
            """
            CREATE TABLE otc_control.operators (
                login text PRIMARY KEY CHECK (login ~ '^[a-z][a-z0-9._-]{1,63}$'),
                display_name text NOT NULL,
                platform_admin boolean NOT NULL DEFAULT false,
                token_id text NOT NULL UNIQUE,
                token_hmac bytea NOT NULL,
                status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                created_by text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE otc_control.grants (
                login text NOT NULL REFERENCES otc_control.operators(login),
                tenant text NOT NULL REFERENCES otc_control.tenants(slug),
                role text NOT NULL CHECK (role IN ('viewer', 'analyst', 'team_lead', 'admin')),
                granted_by text NOT NULL,
                granted_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (login, tenant)
            )
            """,
            """
            CREATE TABLE otc_control.audit_log (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT clock_timestamp(),
                principal text NOT NULL,
                tenant text,
                request_id text NOT NULL,
                action text NOT NULL,
                subject text NOT NULL,
                details jsonb NOT NULL DEFAULT '{}'
            )
            """,
            """
            CREATE FUNCTION otc_control.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """,
            """
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON otc_control.audit_log
                FOR EACH ROW EXECUTE FUNCTION otc_control.refuse_change()
            """,
            """
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON otc_control.audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION otc_control.refuse_change()
            """,
            // Tenant roles never touch otc_control: each tenant schema has its own refuse_change().
            "REVOKE ALL ON SCHEMA otc_control FROM PUBLIC",
        ]),
    ]
}
