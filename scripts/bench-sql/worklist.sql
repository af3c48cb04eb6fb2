-- pgbench script: the statements CollectionsService.GetWorklist runs for the first page
-- (page_size 50, all collectors) when a platform admin calls it, in order, in one transaction:
-- TenantStore.enter (as the login role), the current rule set, Collections.detectPromises (the
-- open promises, then Ledger.receipts for all of them in one statement: nothing is resolved when
-- none is due and unpaid, the state seed_collections.sql leaves), then Collections.worklist
-- (Ledger.overdueAccounts with its settings statement, CollectionsStore.promiseStanding,
-- CreditStore.riskClasses, CollectionsStore.accounts(nil)) and the page's details
-- (CustomerStore.names, CollectionsStore.lastActivities). Keep it in step with those (the SQL is
-- copied from them).
-- Variables: :tenant (slug), :asof (today as days since 1970-01-01, which the server binds).
-- Differences, none of them a round trip: the server binds the receipt windows as arrays it
-- computed from the promises it read; here the same windows come from a subquery on promises.
-- The page's 50 customers are C-00001…C-00050 rather than the 50 ranked first. The ranking
-- between the statements is Swift work pgbench does not do.
-- (No colons inside string literals: pgbench would read them as variables.)
BEGIN;
SELECT t.status, t.status_reason, t.time_zone, CASE 'admin' WHEN 'erp' THEN (SELECT c.status FROM otc_control.credentials c WHERE c.id = 'bench' AND c.tenant = t.slug) WHEN 'operator' THEN (SELECT g.role FROM otc_control.grants g WHERE g.login = 'bench' AND g.tenant = t.slug) ELSE 'admin' END, set_config('role', 'otc_t_' || :tenant::text, true), set_config('search_path', 'tenant_' || :tenant::text, true), set_config('statement_timeout', '60000', true), set_config('timezone', t.time_zone, true) FROM otc_control.tenants t WHERE t.slug = :tenant::text;
SELECT version, body::text FROM rule_sets WHERE effective_from <= now() ORDER BY version DESC LIMIT 1;
SELECT id, customer_number, currency::text, amount, promised_date - DATE '1970-01-01', made_on - DATE '1970-01-01', status, paid, note, principal, resolved_at FROM promises WHERE (NULL::text IS NULL OR customer_number = NULL::text) AND ('open'::text IS NULL OR status = 'open'::text) ORDER BY seq DESC LIMIT 10000;
SELECT w.n::int,
       coalesce((SELECT sum(a.amount) FROM ar_items i JOIN ar_applications a ON a.item_id = i.id
                 WHERE i.customer_number = w.customer AND i.currency = w.currency AND a.source_account = 'cash'
                   AND a.applied_on BETWEEN DATE '1970-01-01' + w.from_day AND DATE '1970-01-01' + w.through_day), 0)::bigint
     + coalesce((SELECT -sum(p.amount) FROM ar_items p
                 WHERE p.customer_number = w.customer AND p.currency = w.currency AND p.kind = 'payment_on_account'
                   AND p.issue_date BETWEEN DATE '1970-01-01' + w.from_day AND DATE '1970-01-01' + w.through_day), 0)::bigint
FROM (SELECT customer_number AS customer, currency::text AS currency, made_on - DATE '1970-01-01' AS from_day,
             greatest(made_on - DATE '1970-01-01', least(:asof::int, promised_date - DATE '1970-01-01')) AS through_day,
             row_number() OVER (ORDER BY seq DESC) AS n
      FROM promises WHERE status = 'open' ORDER BY seq DESC LIMIT 10000) w;
SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true);
SELECT customer_number, currency::text, sum(open_amount)::bigint,
       coalesce(sum(open_amount) FILTER (WHERE amount > 0 AND due_date < DATE '1970-01-01' + :asof::int), 0)::bigint,
       coalesce(max((DATE '1970-01-01' + :asof::int) - due_date)
                FILTER (WHERE amount > 0 AND due_date < DATE '1970-01-01' + :asof::int), 0)
FROM ar_items WHERE open_amount <> 0 GROUP BY 1, 2
HAVING bool_or(amount > 0 AND due_date < DATE '1970-01-01' + :asof::int);
SELECT p.customer_number, p.currency::text,
       count(*) FILTER (WHERE p.status = 'broken' AND p.resolved_at > now() - interval '1 year')::int,
       bool_or(p.status = 'broken' AND p.resolved_at > coalesce(
           (SELECT max(a.at) FROM collection_activities a WHERE a.customer_number = p.customer_number AND a.kind <> 'system'),
           '-infinity')),
       bool_or(p.status = 'open')
FROM promises p WHERE p.status IN ('open', 'broken') GROUP BY 1, 2;
SELECT customer_number, risk_class FROM credit_profiles WHERE risk_class <> '';
SELECT customer_number, collector, dunning_hold, hold_reason FROM collection_accounts
WHERE NULL::text[] IS NULL OR customer_number = ANY(NULL::text[]);
SELECT number, name FROM customers WHERE number = ANY('{C-00001,C-00002,C-00003,C-00004,C-00005,C-00006,C-00007,C-00008,C-00009,C-00010,C-00011,C-00012,C-00013,C-00014,C-00015,C-00016,C-00017,C-00018,C-00019,C-00020,C-00021,C-00022,C-00023,C-00024,C-00025,C-00026,C-00027,C-00028,C-00029,C-00030,C-00031,C-00032,C-00033,C-00034,C-00035,C-00036,C-00037,C-00038,C-00039,C-00040,C-00041,C-00042,C-00043,C-00044,C-00045,C-00046,C-00047,C-00048,C-00049,C-00050}'::text[]);
SELECT customer_number, max(at), max(follow_up) - DATE '1970-01-01' FROM collection_activities
WHERE kind <> 'system' AND customer_number = ANY('{C-00001,C-00002,C-00003,C-00004,C-00005,C-00006,C-00007,C-00008,C-00009,C-00010,C-00011,C-00012,C-00013,C-00014,C-00015,C-00016,C-00017,C-00018,C-00019,C-00020,C-00021,C-00022,C-00023,C-00024,C-00025,C-00026,C-00027,C-00028,C-00029,C-00030,C-00031,C-00032,C-00033,C-00034,C-00035,C-00036,C-00037,C-00038,C-00039,C-00040,C-00041,C-00042,C-00043,C-00044,C-00045,C-00046,C-00047,C-00048,C-00049,C-00050}'::text[]) GROUP BY customer_number;
COMMIT;
