-- pgbench script: the statements CollectionsService.GetAging runs for the first page
-- (page_size 50, no customer or currency filter) when a platform admin calls it, in one
-- transaction: TenantStore.enter (as the login role), the current rule set, Ledger.aging (its
-- settings statement, then the aging statement) and the names of the page's customers
-- (CustomerStore.names). Keep it in step with CollectionsService.aging and Ledger.aging (the SQL is
-- copied from there).
-- Variables: :tenant (slug); :asof (the as-of date as days since 1970-01-01, which the server
-- binds); :past (0: as of today; 1: a past date, where applications made after it are added back).
-- Differences, none of them a round trip: the server binds as-of, the buckets' lower bounds (from
-- the rules' collections.aging_buckets, [30, 60, 90, 120] by default) and the empty filters
-- ($1-$4); here they are :asof and literals, and the server's `\(past)` is :past. The page's 50
-- names are those of C-00001…C-00050 rather than of the 50 largest overdue accounts of that day
-- (the same 50 primary-key lookups).
-- (No colons inside string literals: pgbench would read them as variables.)
BEGIN;
SELECT t.status, t.status_reason, t.time_zone, CASE 'admin' WHEN 'erp' THEN (SELECT c.status FROM otc_control.credentials c WHERE c.id = 'bench' AND c.tenant = t.slug) WHEN 'operator' THEN (SELECT g.role FROM otc_control.grants g WHERE g.login = 'bench' AND g.tenant = t.slug) ELSE 'admin' END, set_config('role', 'otc_t_' || :tenant::text, true), set_config('search_path', 'tenant_' || :tenant::text, true), set_config('statement_timeout', '60000', true), set_config('timezone', t.time_zone, true) FROM otc_control.tenants t WHERE t.slug = :tenant::text;
SELECT version, body::text FROM rule_sets WHERE effective_from <= now() ORDER BY version DESC LIMIT 1;
SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true);
\if :past
WITH later AS (
    SELECT item_id AS id, amount FROM ar_applications WHERE true AND applied_on > DATE '1970-01-01' + :asof::int
    UNION ALL
    SELECT source_item_id, amount FROM ar_applications
    WHERE true AND source_item_id IS NOT NULL AND applied_on > DATE '1970-01-01' + :asof::int),
l AS (SELECT id, sum(amount) AS applied FROM later GROUP BY id),
o AS (
    SELECT i.customer_number, i.currency,
           CASE WHEN i.due_date IS NULL THEN 0
                ELSE 1 + width_bucket((DATE '1970-01-01' + :asof::int) - i.due_date, '{1,31,61,91,121}'::int[]) END AS bucket,
           i.open_amount + sign(i.amount)::bigint * coalesce(l.applied, 0) AS open
    FROM ar_items i LEFT JOIN l ON l.id = i.id
    WHERE i.issue_date <= DATE '1970-01-01' + :asof::int
      AND (NULL::text IS NULL OR i.customer_number = NULL::text) AND (NULL::text IS NULL OR i.currency = NULL::text)),
g AS (SELECT customer_number, currency, bucket, sum(open)::bigint AS amount, count(*)::int AS n
      FROM o WHERE open <> 0 GROUP BY 1, 2, 3)
SELECT customer_number, currency::text, array_agg(bucket), array_agg(amount), sum(n)::int FROM g GROUP BY 1, 2;
\else
WITH later AS (
    SELECT item_id AS id, amount FROM ar_applications WHERE false AND applied_on > DATE '1970-01-01' + :asof::int
    UNION ALL
    SELECT source_item_id, amount FROM ar_applications
    WHERE false AND source_item_id IS NOT NULL AND applied_on > DATE '1970-01-01' + :asof::int),
l AS (SELECT id, sum(amount) AS applied FROM later GROUP BY id),
o AS (
    SELECT i.customer_number, i.currency,
           CASE WHEN i.due_date IS NULL THEN 0
                ELSE 1 + width_bucket((DATE '1970-01-01' + :asof::int) - i.due_date, '{1,31,61,91,121}'::int[]) END AS bucket,
           i.open_amount + sign(i.amount)::bigint * coalesce(l.applied, 0) AS open
    FROM ar_items i LEFT JOIN l ON l.id = i.id
    WHERE i.open_amount <> 0
      AND (NULL::text IS NULL OR i.customer_number = NULL::text) AND (NULL::text IS NULL OR i.currency = NULL::text)),
g AS (SELECT customer_number, currency, bucket, sum(open)::bigint AS amount, count(*)::int AS n
      FROM o WHERE open <> 0 GROUP BY 1, 2, 3)
SELECT customer_number, currency::text, array_agg(bucket), array_agg(amount), sum(n)::int FROM g GROUP BY 1, 2;
\endif
SELECT number, name FROM customers WHERE number = ANY('{C-00001,C-00002,C-00003,C-00004,C-00005,C-00006,C-00007,C-00008,C-00009,C-00010,C-00011,C-00012,C-00013,C-00014,C-00015,C-00016,C-00017,C-00018,C-00019,C-00020,C-00021,C-00022,C-00023,C-00024,C-00025,C-00026,C-00027,C-00028,C-00029,C-00030,C-00031,C-00032,C-00033,C-00034,C-00035,C-00036,C-00037,C-00038,C-00039,C-00040,C-00041,C-00042,C-00043,C-00044,C-00045,C-00046,C-00047,C-00048,C-00049,C-00050}'::text[]);
COMMIT;
