-- pgbench script template: the statements CollectionsService.GetWorklist runs for the first page
-- (page_size 50, all collectors) when a platform admin calls it, in order, in one transaction:
-- TenantStore.enter (as the login role), the current rule set, Collections.detectPromises (the
-- open promises, then Ledger.receipts once per open promise: nothing is resolved when none is due
-- and unpaid, the state seed_collections.sql leaves), then Collections.worklist:
-- Ledger.overdueAccounts, CollectionsStore.promiseStanding, CreditStore.riskClasses,
-- CollectionsStore.accounts(nil), CustomerStore.names of every ranked customer and
-- CollectionsStore.lastActivities. Keep it in step with those (the SQL is copied from them).
-- Not runnable as it is: scripts/bench replaces the two @ placeholders with what
-- worklist_prepare.sql writes for the tenant after otc-bench's calls (one receipts statement per
-- open promise, in the server's order and with its from/through dates; the array of customer
-- numbers the server binds for the names), and runs the result from .otc/bench/.
-- Variables: :tenant (slug), :asof (today as days since 1970-01-01, which the server binds).
-- Differences, none of them a round trip: what the server binds ($n) is :asof or a literal here;
-- the ranking between the statements is Swift work pgbench does not do.
-- (No colons inside string literals: pgbench would read them as variables.)
BEGIN;
SELECT t.status, t.status_reason, t.time_zone, CASE 'admin' WHEN 'erp' THEN (SELECT c.status FROM otc_control.credentials c WHERE c.id = 'bench' AND c.tenant = t.slug) WHEN 'operator' THEN (SELECT g.role FROM otc_control.grants g WHERE g.login = 'bench' AND g.tenant = t.slug) ELSE 'admin' END, set_config('role', 'otc_t_' || :tenant::text, true), set_config('search_path', 'tenant_' || :tenant::text, true), set_config('statement_timeout', '60000', true), set_config('timezone', t.time_zone, true) FROM otc_control.tenants t WHERE t.slug = :tenant::text;
SELECT version, body::text FROM rule_sets WHERE effective_from <= now() ORDER BY version DESC LIMIT 1;
SELECT id, customer_number, currency::text, amount, promised_date - DATE '1970-01-01', made_on - DATE '1970-01-01', status, paid, note, principal, resolved_at FROM promises WHERE (NULL::text IS NULL OR customer_number = NULL::text) AND ('open'::text IS NULL OR status = 'open'::text) ORDER BY seq DESC LIMIT 10000;
-- @receipts
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
SELECT number, name FROM customers WHERE number = ANY(
'@names'::text[]);
SELECT customer_number, max(at), max(follow_up) - DATE '1970-01-01' FROM collection_activities
WHERE kind <> 'system' GROUP BY customer_number;
COMMIT;
