-- What the delivery ledger's second index on subscriber_id cost its writes (migration 0018):
-- the same 100,000 rows queued, claimed and marked sent in a table with the ledger's indexes
-- before 0018 (t6) and after (t5), taking turns. Each figure is one statement over all rows.
--
--     psql -h 127.0.0.1 -U postgres -d test -f bench/mailer/ledger_indexes.sql
\timing on
DROP TABLE IF EXISTS bench_ledger_t6, bench_ledger_t5;
CREATE TABLE bench_ledger_t6 (
    id bigserial PRIMARY KEY, subscriber_id uuid, batch_key varchar(120), kind varchar(20),
    reference json, status varchar(10), attempts int, next_attempt_at timestamptz,
    lease_until timestamptz, created_at timestamptz, sent_at timestamptz, last_error text,
    UNIQUE (subscriber_id, batch_key)
);
CREATE INDEX ON bench_ledger_t6 (status, next_attempt_at);
CREATE INDEX ON bench_ledger_t6 (id) WHERE status IN ('queued', 'sending');
CREATE INDEX ON bench_ledger_t6 (created_at);
CREATE TABLE bench_ledger_t5 (LIKE bench_ledger_t6 INCLUDING ALL);
CREATE INDEX bench_ledger_t6_subscriber ON bench_ledger_t6 (subscriber_id);
\echo queue: with the index, then without
INSERT INTO bench_ledger_t6 (subscriber_id, batch_key, kind, reference, status, attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid(), 'change:1', 'alert', '{"change_id": 1}', 'queued', 0, now(), now() FROM generate_series(1, 100000);
INSERT INTO bench_ledger_t5 (subscriber_id, batch_key, kind, reference, status, attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid(), 'change:1', 'alert', '{"change_id": 1}', 'queued', 0, now(), now() FROM generate_series(1, 100000);
\echo claim: with the index, then without
UPDATE bench_ledger_t6 SET status = 'sending', lease_until = now();
UPDATE bench_ledger_t5 SET status = 'sending', lease_until = now();
\echo mark sent: with the index, then without
UPDATE bench_ledger_t6 SET status = 'sent', lease_until = NULL, sent_at = now();
UPDATE bench_ledger_t5 SET status = 'sent', lease_until = NULL, sent_at = now();
DROP TABLE bench_ledger_t6, bench_ledger_t5;
