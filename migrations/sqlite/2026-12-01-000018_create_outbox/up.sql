-- The ordered log of committed changes (the transactional outbox): written in the same
-- transaction as each change, read in (commit_order, position) order by the webhook
-- dispatcher. On SQLite writers are serialised, so positions come in commit order and
-- commit_order is 0.
CREATE TABLE outbox_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_order BIGINT NOT NULL DEFAULT 0,
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
