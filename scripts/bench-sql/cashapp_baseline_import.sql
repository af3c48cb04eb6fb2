-- psql script, the baseline of the cash-application bench's import stage (issue 5, item 8): the
-- rows `otcctl bank import` just wrote (the bank_files row with the raw file, and its receipts)
-- loaded again with COPY into scratch tables with the same columns, constraints and indexes
-- (CREATE TABLE … LIKE … INCLUDING ALL, plus the receipts' foreign key to their file), in one
-- transaction like the import. Prints the seconds of the load only (the export and the scratch
-- tables are not timed). Also notes where the ledger and the cash tables stand (bench_marks), so
-- cashapp_baseline_matching.sql can tell the matching stage's rows from the seed's.
-- Variables: slug. Run from the repository root (the \copy files are under .otc/bench):
--   psql -d otc_bench -v slug=… -f scripts/bench-sql/cashapp_baseline_import.sql
\set ON_ERROR_STOP on
SELECT set_config('role', 'otc_t_' || :'slug', false), set_config('search_path', 'tenant_' || :'slug', false) \g /dev/null

CREATE TABLE bench_marks AS
SELECT (SELECT coalesce(max(seq), 0) FROM ar_postings) AS postings, (SELECT coalesce(max(seq), 0) FROM ar_items) AS items,
       (SELECT coalesce(max(seq), 0) FROM ar_applications) AS applications, (SELECT coalesce(max(id), 0) FROM audit_log) AS audit,
       clock_timestamp() AS at;

\copy (SELECT * FROM bank_files ORDER BY seq) TO '.otc/bench/cashapp-rows-bank-files.copy'
\copy (SELECT * FROM receipts ORDER BY seq) TO '.otc/bench/cashapp-rows-receipts.copy'
CREATE TABLE bench_bank_files (LIKE bank_files INCLUDING ALL);
CREATE TABLE bench_receipts (LIKE receipts INCLUDING ALL);
ALTER TABLE bench_receipts ADD FOREIGN KEY (file_id) REFERENCES bench_bank_files (id);

SELECT clock_timestamp() AS began \gset
BEGIN;
\copy bench_bank_files FROM '.otc/bench/cashapp-rows-bank-files.copy'
\copy bench_receipts FROM '.otc/bench/cashapp-rows-receipts.copy'
COMMIT;
SELECT format('copy_import_seconds=%s rows=%s file_bytes=%s', round(extract(epoch FROM clock_timestamp() - :'began'::timestamptz)::numeric, 3),
              (SELECT count(*) FROM bench_receipts) + (SELECT count(*) FROM bench_bank_files),
              (SELECT sum(octet_length(content)) FROM bench_bank_files));
ANALYZE bench_receipts;
