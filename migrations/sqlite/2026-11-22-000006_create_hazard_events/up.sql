-- The loop's record: one row per state change or decision, append-only and chained. Each
-- row's hash covers the previous row's hash and this row's content, photos' SHA-256 included.
CREATE TABLE hazard_events (
    hazard_id   TEXT NOT NULL REFERENCES hazards (id),
    sequence    INTEGER NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT,
    photo_ids   TEXT NOT NULL,
    detail      TEXT,
    at          TIMESTAMP NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (hazard_id, sequence)
);
CREATE INDEX hazard_events_at_idx ON hazard_events (at);
