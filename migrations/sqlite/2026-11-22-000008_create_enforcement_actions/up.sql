-- Enforcement actions (执法文书): orders, penalties, seals, suspensions, closures, and the hazards
-- they answer. region_code and sector_code are copied from the enterprise so scope filters and
-- statistics need no join.
CREATE TABLE enforcement_actions (
    id                TEXT PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('rectification_notice', 'penalty_decision', 'seal_up',
                          'suspension', 'shutdown', 'interview', 'joint_punishment', 'referral')),
    issuing_body      TEXT NOT NULL,
    issued_year       INTEGER NOT NULL,
    document_no       TEXT NOT NULL,
    enterprise_id     TEXT NOT NULL REFERENCES enterprises (id),
    region_code       TEXT NOT NULL,
    sector_code       TEXT NOT NULL,
    inspection_id     TEXT REFERENCES inspections (id),
    fine_fen          BIGINT CHECK (fine_fen IS NULL OR fine_fen > 0),
    notified_at       TIMESTAMP,
    hearing_requested BOOLEAN,
    summary           TEXT NOT NULL,
    issued_by         TEXT NOT NULL REFERENCES users (id),
    issued_at         TIMESTAMP NOT NULL,
    request_hash      TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    -- A document number is unique per issuing body and year (文书编号).
    UNIQUE (issuing_body, issued_year, document_no),
    -- 行政处罚法 art. 44: no penalty decision without the prior notice, nor a fine without one.
    CHECK (kind <> 'penalty_decision' OR (fine_fen IS NOT NULL AND notified_at IS NOT NULL AND hearing_requested IS NOT NULL)),
    CHECK (kind = 'penalty_decision' OR fine_fen IS NULL)
);
CREATE INDEX enforcement_actions_issued_idx ON enforcement_actions (issued_at, kind);
CREATE INDEX enforcement_actions_region_idx ON enforcement_actions (region_code, issued_at);
CREATE INDEX enforcement_actions_enterprise_idx ON enforcement_actions (enterprise_id, issued_at);
CREATE INDEX enforcement_actions_created_idx ON enforcement_actions (created_at, id);

CREATE TABLE enforcement_action_hazards (
    action_id TEXT NOT NULL REFERENCES enforcement_actions (id),
    hazard_id TEXT NOT NULL REFERENCES hazards (id),
    PRIMARY KEY (action_id, hazard_id)
);
CREATE INDEX enforcement_action_hazards_hazard_idx ON enforcement_action_hazards (hazard_id);
