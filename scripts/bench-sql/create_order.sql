-- pgbench script: the statements OrderService.CreateOrder runs for a clean 3-line order with an
-- idempotency key and no credit gate (TenantStore.enter, idempotency claim, rules, validation
-- facts, insert, lines, audit, idempotency result), as the same roles, in one transaction.
-- Keep it in step with OrderService.create. Variables: :tenant (slug), :cred (credential id).
-- (No colons inside string literals: pgbench would read them as variables.)
\set r random(1, 2000000000)
BEGIN;
SELECT t.status, t.status_reason, (SELECT c.status FROM otc_control.credentials c WHERE c.id = :cred::text AND c.tenant = t.slug), set_config('role', 'otc_t_' || :tenant::text, true), set_config('search_path', 'tenant_' || :tenant::text, true), set_config('statement_timeout', '30000', true) FROM otc_control.tenants t WHERE t.slug = :tenant::text;
INSERT INTO idempotency_keys (key, method, request_digest, principal) VALUES ('pg-' || :client_id::text || '-' || :r::text, '/otc.orders.v1.OrderService/CreateOrder', '\x00'::bytea, 'erp-bench') ON CONFLICT (key) DO NOTHING RETURNING 1;
SELECT version, body::text FROM rule_sets WHERE effective_from <= now() ORDER BY version DESC LIMIT 1;
SELECT number, name, currency, country, tax_id, email, blocked, block_reason, payment_terms, created_at, updated_at, version FROM customers WHERE number = 'C-1';
SELECT order_ref FROM orders WHERE customer_number = 'C-1' AND customer_po = 'PO-' || :client_id::text || '-' || :r::text AND status <> 'cancelled' AND (NULL::uuid IS NULL OR id <> NULL::uuid) ORDER BY seq LIMIT 10;
INSERT INTO orders (order_ref, customer_number, customer_po, currency, status, net_total, requested_date, discrepancies, hold_reason, rules_version, create_digest) VALUES ('PG-' || :client_id::text || '-' || :r::text, 'C-1', 'PO-' || :client_id::text || '-' || :r::text, 'EUR', 'released', 11994, NULL::date, '[]'::jsonb, '', 1, '\x00'::bytea) ON CONFLICT (order_ref) DO NOTHING RETURNING id, created_at, updated_at, version \gset
INSERT INTO order_lines (order_id, line_no, sku, description, quantity, unit_of_measure, unit_price, price_currency, tax_code) SELECT :id::uuid, * FROM unnest('{1,2,3}'::int[], '{SKU-1,SKU-2,SKU-3}'::text[], '{"","",""}'::text[], '{1,2,3}'::bigint[], '{EA,EA,EA}'::text[], '{1999,1999,1999}'::bigint[], '{EUR,EUR,EUR}'::text[], '{STD,STD,STD}'::text[]);
INSERT INTO audit_log (principal, request_id, method, action, entity_type, entity_id, details) VALUES ('erp-bench', 'pgbench', '/otc.orders.v1.OrderService/CreateOrder', 'order.create', 'order', :id::text, '{"customer": "C-1", "status": "released"}'::jsonb);
UPDATE idempotency_keys SET response = '\x0a00'::bytea WHERE key = 'pg-' || :client_id::text || '-' || :r::text;
COMMIT;
