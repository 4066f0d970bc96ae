-- Checklists, inspections (检查) and hazards (隐患), and the idempotency keys of retried POSTs.
CREATE TABLE checklists (
    id          TEXT PRIMARY KEY NOT NULL,
    sector_code TEXT NOT NULL REFERENCES sectors (code),
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX checklists_sector_idx ON checklists (sector_code, created_at);

CREATE TABLE checklist_items (
    checklist_id TEXT NOT NULL REFERENCES checklists (id),
    position     INTEGER NOT NULL,
    code         TEXT NOT NULL,
    text         TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    major        BOOLEAN NOT NULL,
    PRIMARY KEY (checklist_id, code)
);

-- region_code and sector_code are copied from the enterprise so scope filters need no join.
CREATE TABLE inspections (
    id            TEXT PRIMARY KEY NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    region_code   TEXT NOT NULL,
    sector_code   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('routine', 'special', 'random', 'covert', 'joint', 'follow_up', 'self')),
    campaign      TEXT,
    checklist_id  TEXT REFERENCES checklists (id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    latitude      REAL,
    longitude     REAL,
    summary       TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (id),
    submitted_at  TIMESTAMP,
    request_hash  TEXT NOT NULL,
    version       BIGINT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX inspections_region_idx ON inspections (region_code, created_at);
CREATE INDEX inspections_enterprise_idx ON inspections (enterprise_id);
CREATE INDEX inspections_created_idx ON inspections (created_at, id);
CREATE INDEX inspections_updated_idx ON inspections (updated_at);
CREATE INDEX inspections_submitted_idx ON inspections (submitted_at);

CREATE TABLE inspection_officers (
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (inspection_id, user_id)
);
CREATE INDEX inspection_officers_user_idx ON inspection_officers (user_id);

CREATE TABLE inspection_results (
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    item_code     TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'not_applicable')),
    note          TEXT,
    PRIMARY KEY (inspection_id, item_code)
);

CREATE TABLE hazards (
    id                  TEXT PRIMARY KEY NOT NULL,
    inspection_id       TEXT REFERENCES inspections (id),
    enterprise_id       TEXT NOT NULL REFERENCES enterprises (id),
    region_code         TEXT NOT NULL,
    sector_code         TEXT NOT NULL,
    source              TEXT NOT NULL CHECK (source IN ('inspection', 'self_inspection', 'tip')),
    level               TEXT NOT NULL CHECK (level IN ('general', 'major')),
    description         TEXT NOT NULL,
    location            TEXT,
    legal_basis         TEXT,
    checklist_item_code TEXT,
    deadline            TIMESTAMP NOT NULL,
    responsible_person  TEXT NOT NULL,
    measures            TEXT NOT NULL,
    listed_level        TEXT CHECK (listed_level IN ('county', 'city', 'province')),
    status              TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'verified', 'closed', 'cancelled')),
    reported_by         TEXT NOT NULL REFERENCES users (id),
    request_hash        TEXT NOT NULL,
    version             BIGINT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    rectified_at        TIMESTAMP,
    closed_at           TIMESTAMP
);
CREATE INDEX hazards_region_idx ON hazards (region_code, created_at);
CREATE INDEX hazards_enterprise_idx ON hazards (enterprise_id, created_at);
CREATE INDEX hazards_status_idx ON hazards (status, deadline);
CREATE INDEX hazards_created_idx ON hazards (created_at, id);
CREATE INDEX hazards_updated_idx ON hazards (updated_at);
CREATE INDEX hazards_inspection_idx ON hazards (inspection_id);

-- A POST retried with the same Idempotency-Key gets the first answer back (24 hours).
CREATE TABLE idempotency_keys (
    user_id       TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER,
    content_type  TEXT,
    response_body TEXT,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
