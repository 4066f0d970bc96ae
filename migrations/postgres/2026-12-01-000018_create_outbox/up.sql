-- The ordered log of committed changes (the transactional outbox): written in the same
-- transaction as each change, read in (commit_order, position) order by the webhook
-- dispatcher. A sequence can be seen out of order (a later position may commit first), so
-- commit_order is the writing transaction's id: a reader takes only rows of transactions
-- older than every one still running (pg_snapshot_xmin), and those can no longer change.
CREATE TABLE outbox_events (
    position BIGSERIAL PRIMARY KEY,
    commit_order BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    hazard_id TEXT,
    enterprise_id TEXT,
    region_code TEXT,
    sector_code TEXT,
    payload TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_events_order_idx ON outbox_events (commit_order, position);

-- Where each reader of the log has got to, and who holds it now (one reader at a time across
-- all API nodes).
CREATE TABLE log_readers (
    name TEXT PRIMARY KEY,
    commit_order BIGINT NOT NULL,
    position BIGINT NOT NULL,
    held_until TIMESTAMP
);
