-- Deadline extension requests (延期申请) and their decisions.
CREATE TABLE extension_requests (
    id                 TEXT PRIMARY KEY NOT NULL,
    hazard_id          TEXT NOT NULL REFERENCES hazards (id),
    requested_deadline TIMESTAMP NOT NULL,
    reason             TEXT NOT NULL,
    requested_by       TEXT NOT NULL REFERENCES users (id),
    requested_at       TIMESTAMP NOT NULL,
    decision           TEXT CHECK (decision IN ('approved', 'denied')),
    decision_note      TEXT,
    decided_by         TEXT REFERENCES users (id),
    decided_at         TIMESTAMP
);
CREATE INDEX extension_requests_hazard_idx ON extension_requests (hazard_id, requested_at);
