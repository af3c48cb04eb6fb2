-- psql script: fills one (freshly onboarded, empty) tenant for the cash-application benchmark
-- (issue 5, item 8), as the tenant's role in its schema, with set-based INSERT … SELECT only:
--   * :customers customers C-00001… (EUR) with company names from three word lists (40 × 25 × 20
--     distinct names before the legal form, so names tell customers apart the way real ones
--     mostly do); every 10th on 2/10NET30 terms, the others NET30;
--   * a known payer account (a valid German IBAN) in payer_accounts for 4 of every 5 customers,
--     as if learned from earlier receipts;
--   * :items open invoices INV-2026-000001…, EUR, gross 10.00-5 000.00 (skewed low), issued in the
--     last 60 days and due 30 days later; the first :customers items one per customer (in an order
--     unrelated to the customer numbers: 1 + n × 7919 mod customers, so an invoice's serial does not
--     repeat its customer's number), the others skewed towards low customer numbers (customer
--     1 + customers × r², as seed_collections.sql);
--     invoices of 2/10NET30 customers carry a 2 % early-payment discount until issue + 10 days;
--   * each invoice with its own balanced posting (receivables +gross with customer and item,
--     revenue −net, tax −tax at 20 %), nothing paid yet.
-- Then VACUUM (ANALYZE), and fails unless ledger_check() finds nothing.
-- Variables: slug, customers (20000), items (500000). scripts/bench runs it as the superuser:
--   psql -d otc_bench -v slug=… -v customers=20000 -v items=500000 -f scripts/bench-sql/seed_cashapp.sql
\set ON_ERROR_STOP on
-- current_date is the tenant's business day, as in the server (read before leaving the superuser).
SELECT set_config('timezone', time_zone, false) FROM otc_control.tenants WHERE slug = :'slug' \g /dev/null
SELECT set_config('role', 'otc_t_' || :'slug', false), set_config('search_path', 'tenant_' || :'slug', false) \g /dev/null
SELECT setseed(0.5151) \g /dev/null

BEGIN;

CREATE FUNCTION pg_temp.customer_number(c int) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT 'C-' || lpad(c::text, greatest(5, length(c::text)), '0') $$;

-- DE + check digits + bank code 37040044 + a 10-digit account (ISO 13616 mod 97).
CREATE FUNCTION pg_temp.iban(c int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'DE' || lpad((98 - mod((bban || '131400')::numeric, 97))::text, 2, '0') || bban
    FROM (SELECT '37040044' || lpad((1000000000 + c * 7919)::text, 10, '0') AS bban) b $$;

INSERT INTO customers (number, name, currency, country, email, payment_terms)
SELECT pg_temp.customer_number(c),
       (ARRAY['Nordwind', 'Alpen', 'Rhein', 'Elbe', 'Hansa', 'Berg', 'Sonnen', 'Stern', 'Falken', 'Eichen',
              'Linden', 'Adler', 'Blau', 'Gruen', 'Silber', 'Gold', 'Kristall', 'Polar', 'Atlas', 'Nova',
              'Orion', 'Vega', 'Merkur', 'Titan', 'Delta', 'Kappa', 'Sigma', 'Omega', 'Lumen', 'Terra',
              'Aqua', 'Ventus', 'Ferrum', 'Quarz', 'Basalt', 'Granit', 'Marmor', 'Zeder', 'Birken', 'Ahorn'])[1 + (c - 1) % 40]
       || ' ' ||
       (ARRAY['Bayern', 'Sachsen', 'Hessen', 'Baden', 'Pfalz', 'Westfalen', 'Friesland', 'Holstein', 'Thueringen', 'Franken',
              'Schwaben', 'Allgaeu', 'Eifel', 'Harz', 'Spree', 'Main', 'Mosel', 'Donau', 'Isar', 'Weser',
              'Ruhr', 'Saar', 'Neckar', 'Havel', 'Oder'])[1 + ((c - 1) / 40) % 25]
       || ' ' ||
       (ARRAY['Logistik', 'Handel', 'Technik', 'Bau', 'Metall', 'Elektro', 'Moebel', 'Textil', 'Papier', 'Chemie',
              'Pharma', 'Foods', 'Getraenke', 'Maschinen', 'Kunststoff', 'Glas', 'Holz', 'Energie', 'Medien', 'Software'])[1 + ((c - 1) / 1000) % 20]
       || CASE WHEN c > 20000 THEN ' ' || ((c - 1) / 20000 + 1)::text ELSE '' END
       || ' ' || (ARRAY['GmbH', 'AG', 'KG', 'SE', 'GmbH & Co. KG'])[1 + c % 5],
       'EUR', 'DE', 'ap' || c || '@customer.example', CASE WHEN c % 10 = 0 THEN '2/10NET30' ELSE 'NET30' END
FROM generate_series(1, :customers) c;

INSERT INTO payer_accounts (account, customer_number)
SELECT pg_temp.iban(c), pg_temp.customer_number(c) FROM generate_series(1, :customers) c WHERE c % 5 <> 0;

-- The plan of every invoice, from which the ledger rows are written.
CREATE TEMP TABLE seed_items ON COMMIT DROP AS
WITH raw AS (
    SELECT n, CASE WHEN n <= :customers THEN 1 + (n * 7919) % :customers ELSE 1 + floor(:customers * power(random(), 2))::int END AS c,
           random() AS r_amount, random() AS r_date
    FROM generate_series(1, :items) n),
shaped AS (
    SELECT n, c, 1000 + floor(power(r_amount, 2) * 499000)::bigint AS gross, current_date - 60 + floor(r_date * 61)::int AS issue_date
    FROM raw)
SELECT n, gen_random_uuid() AS id, gen_random_uuid() AS document_id, gen_random_uuid() AS posting_id,
       pg_temp.customer_number(c) AS customer,
       'INV-2026-' || lpad(n::text, greatest(6, length(n::text)), '0') AS document_number,
       gross, round(gross / 1.2)::bigint AS net, gross - round(gross / 1.2)::bigint AS tax,
       issue_date, issue_date + 30 AS due_date,
       CASE WHEN c % 10 = 0 THEN issue_date + 10 END AS discount_date,
       CASE WHEN c % 10 = 0 THEN round(gross * 0.02)::bigint ELSE 0 END AS discount_amount
FROM shaped;

INSERT INTO ar_postings (id, currency, description, posted_on, principal, request_id)
SELECT posting_id, 'EUR', 'invoice ' || document_number, issue_date, 'bench-seed', 'seed'
FROM seed_items ORDER BY issue_date, n;

INSERT INTO ar_posting_lines (posting_id, line_no, account, customer_number, item_id, amount)
SELECT s.posting_id, l.line_no, l.account, CASE WHEN l.line_no = 1 THEN s.customer END, CASE WHEN l.line_no = 1 THEN s.id END, l.amount
FROM seed_items s CROSS JOIN LATERAL (VALUES (1, 'receivables', s.gross), (2, 'revenue', -s.net), (3, 'tax', -s.tax)) AS l(line_no, account, amount);

INSERT INTO ar_items (id, kind, account, customer_number, currency, amount, open_amount, document_id, document_number,
                      issue_date, due_date, discount_date, discount_amount, posting_id)
SELECT id, 'invoice', 'receivables', customer, 'EUR', gross, gross, document_id, document_number,
       issue_date, due_date, discount_date, discount_amount, posting_id
FROM seed_items ORDER BY issue_date, n;

COMMIT;

-- Vacuumed as well as analysed: otherwise autovacuum works through the fresh rows (setting hint
-- bits, the visibility map) on the same two cores while the stages are measured.
VACUUM (ANALYZE) customers;
VACUUM (ANALYZE) payer_accounts;
VACUUM (ANALYZE) ar_postings;
VACUUM (ANALYZE) ar_posting_lines;
VACUUM (ANALYZE) ar_items;

DO $$
DECLARE
    violations bigint;
    first text;
BEGIN
    SELECT count(*), min(rule || ' ' || subject || ': ' || detail) INTO violations, first FROM ledger_check();
    IF violations > 0 THEN
        RAISE EXCEPTION 'seed_cashapp: ledger_check() found % violations, e.g. %', violations, first;
    END IF;
END $$;

SELECT format('seeded %s customers (%s distinct names, %s known payer accounts); %s open invoices (%s with a discount), %s EUR; ledger_check clean',
              (SELECT count(*) FROM customers), (SELECT count(DISTINCT name) FROM customers), (SELECT count(*) FROM payer_accounts),
              count(*), count(*) FILTER (WHERE discount_amount > 0), to_char(sum(open_amount) / 100.0, 'FM999999999990.00'))
FROM ar_items WHERE open_amount <> 0;
