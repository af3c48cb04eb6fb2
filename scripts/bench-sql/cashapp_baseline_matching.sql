-- psql script, the baseline of the cash-application bench's matching stage (issue 5, item 8):
-- the rows the RunMatching calls wrote, loaded again with COPY into scratch tables with the same
-- columns, constraints and indexes (LIKE … INCLUDING ALL, plus the foreign keys among them), and
-- the two set-based UPDATEs that give the same end state: the open amounts of the items settled
-- (invoices and payment items) and the receipts' status. One transaction; prints its seconds (the
-- export and the scratch tables are not timed) and fails unless the scratch state equals the real
-- one.
--   rows: ar_postings, ar_posting_lines, ar_items (the payment items), ar_applications,
--   receipt_matches, receipt_applications, payer_accounts learned, audit_log, tasks (exceptions),
--   disputes with their items and events (deductions) after the marks cashapp_baseline_import.sql left in bench_marks; the open items before
--   matching are copied untimed into bench_ar_items first.
-- Variables: slug. Run from the repository root (the \copy files are under .otc/bench):
--   psql -d otc_bench -v slug=… -f scripts/bench-sql/cashapp_baseline_matching.sql
\set ON_ERROR_STOP on
SELECT set_config('role', 'otc_t_' || :'slug', false), set_config('search_path', 'tenant_' || :'slug', false) \g /dev/null

-- What the matching stage settled per item (both sides of an application), and the items as
-- they stood before it.
CREATE TEMP TABLE settled_after AS
SELECT item, sum(amount) AS settled FROM (
    SELECT item_id AS item, amount FROM ar_applications WHERE seq > (SELECT applications FROM bench_marks)
    UNION ALL
    SELECT source_item_id, amount FROM ar_applications WHERE seq > (SELECT applications FROM bench_marks) AND source_item_id IS NOT NULL) x
GROUP BY item;
CREATE TEMP VIEW items_before AS
SELECT i.id, i.seq, i.kind, i.account, i.customer_number, i.currency, i.amount,
       i.open_amount + sign(i.amount)::bigint * coalesce(s.settled, 0) AS open_amount, i.document_id, i.document_number, i.issue_date,
       i.due_date, i.discount_date, i.discount_amount, i.posting_id, i.created_at
FROM ar_items i LEFT JOIN settled_after s ON s.item = i.id;
CREATE TEMP VIEW new_postings AS SELECT * FROM ar_postings WHERE seq > (SELECT postings FROM bench_marks);

\copy (SELECT p.* FROM new_postings p ORDER BY seq) TO '.otc/bench/cashapp-rows-postings.copy'
\copy (SELECT l.* FROM ar_posting_lines l JOIN new_postings p ON p.id = l.posting_id ORDER BY p.seq, l.line_no) TO '.otc/bench/cashapp-rows-posting-lines.copy'
\copy (SELECT * FROM items_before WHERE seq > (SELECT items FROM bench_marks) ORDER BY seq) TO '.otc/bench/cashapp-rows-payment-items.copy'
\copy (SELECT * FROM ar_applications WHERE seq > (SELECT applications FROM bench_marks) ORDER BY seq) TO '.otc/bench/cashapp-rows-applications.copy'
\copy (SELECT * FROM receipt_matches ORDER BY seq) TO '.otc/bench/cashapp-rows-matches.copy'
\copy (SELECT * FROM receipt_applications ORDER BY seq) TO '.otc/bench/cashapp-rows-receipt-applications.copy'
\copy (SELECT * FROM payer_accounts WHERE learned_from IS NOT NULL) TO '.otc/bench/cashapp-rows-payer-accounts.copy'
\copy (SELECT * FROM audit_log WHERE id > (SELECT audit FROM bench_marks) ORDER BY id) TO '.otc/bench/cashapp-rows-audit.copy'
\copy (SELECT * FROM tasks WHERE created_at >= (SELECT at FROM bench_marks)) TO '.otc/bench/cashapp-rows-tasks.copy'
CREATE TEMP VIEW new_disputes AS SELECT * FROM disputes WHERE opened_at >= (SELECT at FROM bench_marks);
\copy (SELECT * FROM new_disputes ORDER BY seq) TO '.otc/bench/cashapp-rows-disputes.copy'
\copy (SELECT i.* FROM dispute_items i JOIN new_disputes d ON d.id = i.dispute_id) TO '.otc/bench/cashapp-rows-dispute-items.copy'
\copy (SELECT e.* FROM dispute_events e JOIN new_disputes d ON d.id = e.dispute_id ORDER BY e.id) TO '.otc/bench/cashapp-rows-dispute-events.copy'

CREATE TABLE bench_ar_postings (LIKE ar_postings INCLUDING ALL);
CREATE TABLE bench_ar_posting_lines (LIKE ar_posting_lines INCLUDING ALL);
ALTER TABLE bench_ar_posting_lines ADD FOREIGN KEY (posting_id) REFERENCES bench_ar_postings (id);
CREATE TABLE bench_ar_items (LIKE ar_items INCLUDING ALL);
INSERT INTO bench_ar_items SELECT * FROM items_before WHERE seq <= (SELECT items FROM bench_marks);
CREATE TABLE bench_ar_applications (LIKE ar_applications INCLUDING ALL);
ALTER TABLE bench_ar_applications ADD FOREIGN KEY (item_id) REFERENCES bench_ar_items (id),
    ADD FOREIGN KEY (source_item_id) REFERENCES bench_ar_items (id), ADD FOREIGN KEY (posting_id) REFERENCES bench_ar_postings (id);
CREATE TABLE bench_receipt_matches (LIKE receipt_matches INCLUDING ALL);
ALTER TABLE bench_receipt_matches ADD FOREIGN KEY (receipt_id) REFERENCES bench_receipts (id);
CREATE TABLE bench_receipt_applications (LIKE receipt_applications INCLUDING ALL);
ALTER TABLE bench_receipt_applications ADD FOREIGN KEY (receipt_id) REFERENCES bench_receipts (id),
    ADD FOREIGN KEY (payment_item_id) REFERENCES bench_ar_items (id);
CREATE TABLE bench_payer_accounts (LIKE payer_accounts INCLUDING ALL);
CREATE TABLE bench_audit_log (LIKE audit_log INCLUDING ALL);
CREATE TABLE bench_tasks (LIKE tasks INCLUDING ALL);
CREATE TABLE bench_disputes (LIKE disputes INCLUDING ALL);
CREATE TABLE bench_dispute_items (LIKE dispute_items INCLUDING ALL);
ALTER TABLE bench_dispute_items ADD FOREIGN KEY (dispute_id) REFERENCES bench_disputes (id), ADD FOREIGN KEY (item_id) REFERENCES bench_ar_items (id);
CREATE TABLE bench_dispute_events (LIKE dispute_events INCLUDING ALL);
ALTER TABLE bench_dispute_events ADD FOREIGN KEY (dispute_id) REFERENCES bench_disputes (id);
ANALYZE bench_ar_items;

SELECT clock_timestamp() AS began \gset
BEGIN;
\copy bench_ar_postings FROM '.otc/bench/cashapp-rows-postings.copy'
\copy bench_ar_posting_lines FROM '.otc/bench/cashapp-rows-posting-lines.copy'
\copy bench_ar_items FROM '.otc/bench/cashapp-rows-payment-items.copy'
\copy bench_ar_applications FROM '.otc/bench/cashapp-rows-applications.copy'
\copy bench_receipt_matches FROM '.otc/bench/cashapp-rows-matches.copy'
\copy bench_receipt_applications FROM '.otc/bench/cashapp-rows-receipt-applications.copy'
\copy bench_payer_accounts FROM '.otc/bench/cashapp-rows-payer-accounts.copy'
\copy bench_audit_log FROM '.otc/bench/cashapp-rows-audit.copy'
\copy bench_tasks FROM '.otc/bench/cashapp-rows-tasks.copy'
\copy bench_disputes FROM '.otc/bench/cashapp-rows-disputes.copy'
\copy bench_dispute_items FROM '.otc/bench/cashapp-rows-dispute-items.copy'
\copy bench_dispute_events FROM '.otc/bench/cashapp-rows-dispute-events.copy'
UPDATE bench_ar_items i SET open_amount = i.open_amount - sign(i.amount)::bigint * s.settled
FROM (SELECT item, sum(amount) AS settled FROM (
          SELECT item_id AS item, amount FROM bench_ar_applications
          UNION ALL
          SELECT source_item_id, amount FROM bench_ar_applications WHERE source_item_id IS NOT NULL) x
      GROUP BY item) s
WHERE s.item = i.id;
UPDATE bench_receipts b SET status = r.status, payment_item_id = r.payment_item_id
FROM receipts r WHERE r.id = b.id AND (r.status, r.payment_item_id) IS DISTINCT FROM (b.status, b.payment_item_id);
COMMIT;
SELECT format('copy_matching_seconds=%s rows=%s postings=%s lines=%s payment_items=%s applications=%s matches=%s audit=%s tasks=%s disputes=%s',
              round(extract(epoch FROM clock_timestamp() - :'began'::timestamptz)::numeric, 3),
              (SELECT count(*) FROM bench_ar_postings) + (SELECT count(*) FROM bench_ar_posting_lines)
                + (SELECT count(*) FROM bench_ar_items WHERE seq > (SELECT items FROM bench_marks)) + (SELECT count(*) FROM bench_ar_applications)
                + (SELECT count(*) FROM bench_receipt_matches) + (SELECT count(*) FROM bench_receipt_applications)
                + (SELECT count(*) FROM bench_payer_accounts) + (SELECT count(*) FROM bench_audit_log) + (SELECT count(*) FROM bench_tasks)
                + (SELECT count(*) FROM bench_disputes) + (SELECT count(*) FROM bench_dispute_items) + (SELECT count(*) FROM bench_dispute_events),
              (SELECT count(*) FROM bench_ar_postings), (SELECT count(*) FROM bench_ar_posting_lines),
              (SELECT count(*) FROM bench_ar_items WHERE seq > (SELECT items FROM bench_marks)), (SELECT count(*) FROM bench_ar_applications),
              (SELECT count(*) FROM bench_receipt_matches), (SELECT count(*) FROM bench_audit_log), (SELECT count(*) FROM bench_tasks),
              (SELECT count(*) FROM bench_disputes));

-- The baseline must have reached the state the server left.
DO $$
DECLARE
    items bigint;
    receipts bigint;
BEGIN
    SELECT count(*) INTO items FROM bench_ar_items b JOIN ar_items a USING (id) WHERE a.open_amount <> b.open_amount;
    SELECT count(*) INTO receipts FROM bench_receipts b JOIN receipts r USING (id) WHERE (r.status, r.payment_item_id) IS DISTINCT FROM (b.status, b.payment_item_id);
    IF items > 0 OR receipts > 0 OR (SELECT count(*) FROM bench_ar_items) <> (SELECT count(*) FROM ar_items) THEN
        RAISE EXCEPTION 'cashapp_baseline_matching: the COPY baseline differs from the server''s state (% items, % receipts)', items, receipts;
    END IF;
END $$;
