-- psql script: writes the data-dependent parts of worklist.sql for one tenant, as GetWorklist
-- would send them today (scripts/bench splices them in):
--   :receipts_out  one Ledger.receipts statement per open promise, newest first (the order of
--                  CollectionsStore.promises), from the day it was made through
--                  max(made_on, min(as-of, promised date + the rules' grace days));
--   :names_out     the customer numbers CustomerStore.names is given: every customer of the
--                  ranked list (an account with something overdue, or an unhandled broken promise).
-- Variables: slug, asof (days since 1970-01-01), receipts_out, names_out (file paths).
\set ON_ERROR_STOP on
SELECT set_config('role', 'otc_t_' || :'slug', false), set_config('search_path', 'tenant_' || :'slug', false) \g /dev/null
SELECT coalesce((SELECT (body -> 'collections' ->> 'promise_grace_days')::int FROM rule_sets
                 WHERE effective_from <= now() ORDER BY version DESC LIMIT 1), 0) AS grace \gset
\o :receipts_out
SELECT format('SELECT coalesce((SELECT sum(a.amount) FROM ar_applications a JOIN ar_items i ON i.id = a.item_id '
              'WHERE i.customer_number = %L::text AND i.currency = %L::text AND a.source_account = ''cash'' '
              'AND a.applied_on BETWEEN DATE ''1970-01-01'' + %s::int AND DATE ''1970-01-01'' + %s::int), 0)::bigint '
              '+ coalesce((SELECT -sum(amount) FROM ar_items WHERE customer_number = %L::text AND currency = %L::text '
              'AND kind = ''payment_on_account'' AND issue_date BETWEEN DATE ''1970-01-01'' + %s::int '
              'AND DATE ''1970-01-01'' + %s::int), 0)::bigint;',
              customer_number, currency, made, through, customer_number, currency, made, through)
FROM (SELECT customer_number, currency::text AS currency, made_on - DATE '1970-01-01' AS made,
             greatest(made_on - DATE '1970-01-01', least(:asof::int, promised_date - DATE '1970-01-01' + :grace)) AS through
      FROM promises WHERE status = 'open' ORDER BY seq DESC LIMIT 10000) p;
\o :names_out
SELECT '{' || string_agg(customer_number, ',' ORDER BY customer_number) || '}' FROM (
    SELECT customer_number FROM ar_items WHERE open_amount <> 0 GROUP BY customer_number, currency
    HAVING bool_or(amount > 0 AND due_date < DATE '1970-01-01' + :asof::int)
    UNION
    SELECT p.customer_number FROM promises p
    WHERE p.status = 'broken' AND p.resolved_at > coalesce(
        (SELECT max(a.at) FROM collection_activities a WHERE a.customer_number = p.customer_number AND a.kind <> 'system'),
        '-infinity')) c;
\o
