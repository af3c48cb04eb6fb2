-- ops/postgres/create-server-role.sql: what a DBA runs once, as a superuser, before the first otcd
-- starts in production (PostgreSQL 15). From a terminal (\password below asks for the password):
--
--   psql -h DBHOST -U postgres -d postgres -f ops/postgres/create-server-role.sql
--
-- Re-running is safe: an existing role or database is kept; \password asks again and replaces the
-- password. Afterwards: otcctl bootstrap (docs/OPERATIONS.md, "Database setup").
--
-- Tenant role names (otc_t_<slug>) are cluster-wide, so keep one otc database per cluster.
--
-- pg_hba.conf: otcd and otcctl connect WITHOUT TLS (postgres-nio is configured with tls: .disable),
-- so a `hostssl` line will not match them: use `host` on a private network, for example
--   host  otc  otc_server  10.0.0.0/24  scram-sha-256

\set ON_ERROR_STOP on

-- otc_server: the one login of otcd (and of otcctl bootstrap).
--
-- NOINHERIT: otc_server becomes a member of every tenant role, but NOINHERIT means membership alone
--   grants it none of their privileges. Tenant tables belong to the tenant roles, so as itself the
--   server reads and writes only otc_control and no tenant data at all. It reaches a tenant's schema
--   only by switching role inside a transaction (set_config('role', 'otc_t_<slug>', true)), which it
--   does after checking that the tenant is active and the caller may act for it. A code path that
--   forgets the switch finds no tenant table, never another tenant's.
--
-- CREATEROLE: onboarding (otcctl tenant onboard) and the tenant migrations otcd runs at start create
--   one NOLOGIN role per tenant (CREATE ROLE otc_t_<slug> NOLOGIN NOINHERIT) and grant it to the
--   server (GRANT otc_t_<slug> TO CURRENT_USER). otc_server needs no other attribute: it is not a
--   superuser and cannot create databases.
SELECT 'CREATE ROLE otc_server LOGIN NOINHERIT CREATEROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'otc_server') \gexec

-- The password: \password prompts twice and sends only a SCRAM-SHA-256 verifier, so the clear text
-- reaches neither the server log nor a shell history. Put the same password into otcd's
-- database_url (postgres://otc_server:PASSWORD@DBHOST:5432/otc). Unattended alternative: replace
-- this line with  ALTER ROLE otc_server PASSWORD 'SCRAM-SHA-256$4096:...';  (a precomputed verifier).
\password otc_server

-- Database otc, owned by otc_server: otcd creates the schemas otc_control and tenant_<slug> in it.
SELECT 'CREATE DATABASE otc OWNER otc_server ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'otc') \gexec

\connect otc

-- Nothing of otcd lives in public. PostgreSQL 15 no longer grants CREATE on it to PUBLIC; revoke it
-- anyway for clusters upgraded from older versions (pg_upgrade keeps the old grant).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Other login roles of the cluster have no business in otc (the owner keeps CONNECT and TEMPORARY).
-- A monitoring role then needs its own:  GRANT CONNECT ON DATABASE otc TO <monitoring role>;
REVOKE CONNECT, TEMPORARY ON DATABASE otc FROM PUBLIC;
