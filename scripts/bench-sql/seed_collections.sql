-- psql script: fills one (freshly onboarded, empty) tenant for the aging and worklist benchmark,
-- as the tenant's role in its schema, with set-based INSERT … SELECT only:
--   * :customers customers C-00001… (EUR, NET30);
--   * :items open items: invoices (and every 200th a credit memo: negative, no due date), every
--     20th in USD, the rest EUR; the first :customers items one per customer, the others skewed
--     towards low customer numbers (customer 1 + customers × r², r uniform: C-00001 gets ~1 300,
--     the median customer ~5); invoices due from 200 days ago to 30 days ahead (issued 30 days
--     before), credit memos issued in the last 90 days; each item with its own balanced posting
--     (receivables +gross with customer and item, revenue −net, tax −tax at 20 %);
--   * ~20 % of the invoices issued before today partly paid: one cash application each (10-90 %
--     of the gross, applied between the issue date and yesterday) with its posting (receivables
--     −x with customer and item, cash +x), open_amount reduced accordingly;
--   * credit profiles with risk classes A-D for every even customer, collection accounts with
--     collectors (and a few dunning holds) for every odd one;
--   * 2 000 promises to pay: 400 open (made in the last 10 days, due today or within 20 days, for
--     more than the customer paid since, so GetWorklist's promise detection keeps them open and the
--     benchmark's calls do not change the data), 800 kept and 800 broken (resolved 10-350 days ago);
--   * 20 000 collection activities over the last 180 days (a sixth of them 'system'), some with a
--     follow-up date.
-- Then ANALYZE, and fails unless ledger_check() finds nothing.
-- Variables: slug, customers (20000), items (200000). scripts/bench runs it as the superuser:
--   psql -d otc_bench -v slug=… -v customers=20000 -v items=200000 -f scripts/bench-sql/seed_collections.sql
\set ON_ERROR_STOP on
-- current_date is the tenant's business day, as in the server (read before leaving the superuser).
SELECT set_config('timezone', time_zone, false) FROM otc_control.tenants WHERE slug = :'slug' \g /dev/null
SELECT set_config('role', 'otc_t_' || :'slug', false), set_config('search_path', 'tenant_' || :'slug', false) \g /dev/null
SELECT setseed(0.4242) \g /dev/null

BEGIN;

CREATE FUNCTION pg_temp.customer_number(c int) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT 'C-' || lpad(c::text, greatest(5, length(c::text)), '0') $$;

INSERT INTO customers (number, name, currency, country, email, payment_terms)
SELECT pg_temp.customer_number(c), 'Customer ' || c || ' GmbH', 'EUR', 'DE', 'ap' || c || '@customer.example', 'NET30'
FROM generate_series(1, :customers) c;

-- The plan of every item (and its payment), from which the ledger rows are written.
CREATE TEMP TABLE seed_items ON COMMIT DROP AS
WITH raw AS (
    SELECT n,
           CASE WHEN n <= :customers THEN n ELSE 1 + floor(:customers * power(random(), 2))::int END AS c,
           CASE WHEN n % 200 = 100 THEN 'credit_memo' ELSE 'invoice' END AS kind,
           random() AS r_amount, random() AS r_date, random() AS r_paid, random() AS r_share, random() AS r_on
    FROM generate_series(1, :items) n),
shaped AS (
    SELECT n, c, kind,
           CASE WHEN kind = 'invoice' THEN 1000 + floor(power(r_amount, 2) * 499000)::bigint
                ELSE -(500 + floor(r_amount * 49500)::bigint) END AS gross,
           CASE WHEN kind = 'invoice' THEN current_date - 200 + floor(r_date * 231)::int END AS due_date,
           CASE WHEN kind = 'invoice' THEN current_date - 230 + floor(r_date * 231)::int
                ELSE current_date - floor(r_date * 90)::int END AS issue_date,
           r_paid, r_share, r_on
    FROM raw)
SELECT n, gen_random_uuid() AS id, gen_random_uuid() AS document_id, gen_random_uuid() AS posting_id,
       pg_temp.customer_number(c) AS customer,
       CASE WHEN n % 20 = 0 THEN 'USD' ELSE 'EUR' END AS currency,
       kind,
       CASE kind WHEN 'invoice' THEN 'SEED-INV-' ELSE 'SEED-CM-' END || lpad(n::text, 7, '0') AS document_number,
       gross, round(gross / 1.2)::bigint AS net, gross - round(gross / 1.2)::bigint AS tax,
       issue_date, due_date,
       CASE WHEN kind = 'invoice' AND issue_date < current_date AND r_paid < 0.2
            THEN greatest(1, floor(gross * (0.1 + 0.8 * r_share))::bigint) END AS paid,
       CASE WHEN kind = 'invoice' AND issue_date < current_date AND r_paid < 0.2
            THEN issue_date + floor(r_on * (current_date - issue_date))::int END AS applied_on,
       CASE WHEN kind = 'invoice' AND issue_date < current_date AND r_paid < 0.2 THEN gen_random_uuid() END AS payment_posting_id
FROM shaped;

-- Issuing: one posting per item, receivables +gross (customer, item), revenue −net, tax −tax.
INSERT INTO ar_postings (id, currency, description, posted_on, principal, request_id)
SELECT posting_id, currency, replace(kind, '_', ' ') || ' ' || document_number, issue_date, 'bench-seed', 'seed'
FROM seed_items ORDER BY issue_date, n;

INSERT INTO ar_posting_lines (posting_id, line_no, account, customer_number, item_id, amount)
SELECT s.posting_id, l.line_no, l.account, CASE WHEN l.line_no = 1 THEN s.customer END, CASE WHEN l.line_no = 1 THEN s.id END, l.amount
FROM seed_items s CROSS JOIN LATERAL (VALUES (1, 'receivables', s.gross), (2, 'revenue', -s.net), (3, 'tax', -s.tax)) AS l(line_no, account, amount);

INSERT INTO ar_items (id, kind, account, customer_number, currency, amount, open_amount, document_id, document_number,
                      issue_date, due_date, posting_id)
SELECT id, kind, 'receivables', customer, currency, gross, gross - coalesce(paid, 0), document_id, document_number,
       issue_date, due_date, posting_id
FROM seed_items ORDER BY issue_date, n;

-- Partial cash payments: posting receivables −x (customer, item) / cash +x, and the application.
INSERT INTO ar_postings (id, currency, description, posted_on, principal, request_id)
SELECT payment_posting_id, currency, 'cash applied to ' || document_number, applied_on, 'bench-seed', 'seed'
FROM seed_items WHERE paid IS NOT NULL ORDER BY applied_on, n;

INSERT INTO ar_posting_lines (posting_id, line_no, account, customer_number, item_id, amount)
SELECT s.payment_posting_id, l.line_no, l.account, CASE WHEN l.line_no = 1 THEN s.customer END,
       CASE WHEN l.line_no = 1 THEN s.id END, l.amount
FROM seed_items s CROSS JOIN LATERAL (VALUES (1, 'receivables', -s.paid), (2, 'cash', s.paid)) AS l(line_no, account, amount)
WHERE s.paid IS NOT NULL;

INSERT INTO ar_applications (item_id, source_account, amount, applied_on, posting_id, principal)
SELECT id, 'cash', paid, applied_on, payment_posting_id, 'bench-seed'
FROM seed_items WHERE paid IS NOT NULL ORDER BY applied_on, n;

-- Credit profiles (risk classes A-D) for the even customers, collectors for the odd ones.
INSERT INTO credit_profiles (customer_number, currency, credit_limit, risk_class, score, next_review)
SELECT pg_temp.customer_number(c), 'EUR', 1000000 * (1 + c % 50), (ARRAY['A', 'B', 'C', 'D'])[1 + (c / 2) % 4],
       20 + (c * 37) % 80, current_date + c % 365
FROM generate_series(2, :customers, 2) c;

INSERT INTO collection_accounts (customer_number, collector, dunning_hold, hold_reason)
SELECT pg_temp.customer_number(c), 'collector' || (1 + c % 8), c % 101 = 1, CASE WHEN c % 101 = 1 THEN 'dispute on file' ELSE '' END
FROM generate_series(1, :customers, 2) c;

-- Activities over the last 180 days, oldest first (so seq follows time).
INSERT INTO collection_activities (customer_number, kind, outcome, note, follow_up, principal, at)
SELECT customer, kind, outcome, note, follow_up, principal, at FROM (
    SELECT pg_temp.customer_number(1 + floor(:customers * power(random(), 1.5))::int) AS customer,
           (ARRAY['call', 'email', 'letter', 'meeting', 'note', 'system'])[1 + k % 6] AS kind,
           (ARRAY['reached', 'voicemail', 'promised', 'disputed', 'no answer'])[1 + k % 5] AS outcome,
           'seeded activity ' || k AS note,
           CASE WHEN k % 3 = 0 THEN current_date + k % 30 END AS follow_up,
           'collector' || (1 + k % 8) AS principal,
           now() - random() * interval '180 days' AS at
    FROM generate_series(1, 20000) k) a
ORDER BY at;

-- Promises: k % 5 = 0 open, 1-2 kept, 3-4 broken; one customer each (7919 is prime to 20 000).
INSERT INTO promises (customer_number, currency, amount, promised_date, made_on, status, paid, note, principal, created_at, resolved_at)
SELECT customer, 'EUR', amount, promised_date, made_on, status, paid, 'seeded promise ' || k, 'collector' || (1 + k % 8),
       made_on::timestamptz, resolved_at
FROM (
    SELECT k, p.customer, p.made_on, p.promised_date, p.status,
           -- An open promise asks for more than the customer has paid since it was made.
           p.base + CASE WHEN p.status = 'open' THEN coalesce((
               SELECT sum(a.amount) FROM ar_applications a JOIN ar_items i ON i.id = a.item_id
               WHERE i.customer_number = p.customer AND i.currency = 'EUR' AND a.source_account = 'cash'
                 AND a.applied_on BETWEEN p.made_on AND current_date), 0) ELSE 0 END AS amount,
           CASE p.status WHEN 'kept' THEN p.base WHEN 'broken' THEN p.base / 3 ELSE 0 END AS paid,
           CASE WHEN p.status <> 'open' THEN (p.promised_date + 1)::timestamptz + interval '6 hours' END AS resolved_at
    FROM generate_series(1, 2000) k
    CROSS JOIN LATERAL (
        SELECT pg_temp.customer_number(1 + (k * 7919) % :customers) AS customer,
               (ARRAY['open', 'kept', 'kept', 'broken', 'broken'])[1 + k % 5] AS status,
               10000 + (k * 131) % 90000 AS base,
               CASE WHEN k % 5 = 0 THEN current_date - k % 10 ELSE current_date - 30 - k % 330 END AS made_on,
               CASE WHEN k % 5 = 0 THEN current_date + k % 21 ELSE current_date - 30 - k % 330 + 7 + k % 14 END AS promised_date
    ) p
) x
ORDER BY x.made_on, x.k;

COMMIT;

ANALYZE customers;
ANALYZE ar_postings;
ANALYZE ar_posting_lines;
ANALYZE ar_items;
ANALYZE ar_applications;
ANALYZE credit_profiles;
ANALYZE collection_accounts;
ANALYZE collection_activities;
ANALYZE promises;

DO $$
DECLARE
    violations bigint;
    first text;
BEGIN
    SELECT count(*), min(rule || ' ' || subject || ': ' || detail) INTO violations, first FROM ledger_check();
    IF violations > 0 THEN
        RAISE EXCEPTION 'seed_collections: ledger_check() found % violations, e.g. %', violations, first;
    END IF;
END $$;

SELECT format('seeded %s customers; %s open items (%s EUR, %s USD, %s credit memos, %s overdue today); %s cash applications; '
              '%s credit profiles, %s collection accounts; %s promises (%s open); %s activities; ledger_check clean',
              (SELECT count(*) FROM customers), count(*), count(*) FILTER (WHERE currency = 'EUR'),
              count(*) FILTER (WHERE currency = 'USD'), count(*) FILTER (WHERE kind = 'credit_memo'),
              count(*) FILTER (WHERE due_date < current_date),
              (SELECT count(*) FROM ar_applications), (SELECT count(*) FROM credit_profiles),
              (SELECT count(*) FROM collection_accounts), (SELECT count(*) FROM promises),
              (SELECT count(*) FROM promises WHERE status = 'open'), (SELECT count(*) FROM collection_activities))
FROM ar_items WHERE open_amount <> 0;
