-- The sync feed's log (`GET /api/v1/sync`): one row per entity and per set of scope facts it
-- has had (enterprise, region, sector, or the owner of a private row), stamped with the
-- (commit_order, position) of the last change seen under those facts. A change moves the row
-- to the end of the log, so the log holds each entity's latest change, never its history; a
-- row left behind by a move tells the callers of the old facts to remove the entity. On
-- SQLite writers are serialised, so a row is deleted and inserted again for a new position,
-- and commit_order stays 0.
CREATE TABLE sync_changes (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_order BIGINT NOT NULL DEFAULT 0,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL DEFAULT '',
    region_code TEXT NOT NULL DEFAULT '',
    sector_code TEXT NOT NULL DEFAULT '',
    owner_id TEXT NOT NULL DEFAULT '',
    changed_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sync_changes_facts_idx
    ON sync_changes (entity_id, entity, enterprise_id, region_code, sector_code, owner_id);
CREATE INDEX sync_changes_order_idx ON sync_changes (commit_order, position);

-- Everything that exists already enters the feed once.
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'enterprise', id, id, region_code, sector_code, '', updated_at FROM enterprises;
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'checklist', id, '', '', '', '', updated_at FROM checklists;
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'inspection', id, enterprise_id, region_code, sector_code, '', updated_at FROM inspections;
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'hazard', id, enterprise_id, region_code, sector_code, '', updated_at FROM hazards;
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'extension_request', e.id, h.enterprise_id, h.region_code, h.sector_code, '', e.requested_at
    FROM extension_requests e JOIN hazards h ON h.id = e.hazard_id;
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'enforcement_action', id, enterprise_id, region_code, sector_code, '', created_at FROM enforcement_actions;
INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at)
    SELECT 'photo', id, '', '', '', uploaded_by, uploaded_at FROM photos WHERE attached_at IS NULL;

-- Photo uploads over tus 1.0 (`/api/v1/resumable-uploads`): the state lives here and the
-- bytes in the photo store, so any API node can take the next PATCH.
CREATE TABLE resumable_uploads (
    id TEXT PRIMARY KEY,
    uploaded_by TEXT NOT NULL,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL,
    purpose TEXT NOT NULL,
    declared_captured_at TIMESTAMP,
    declared_latitude REAL,
    declared_longitude REAL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    finishing_since TIMESTAMP,
    finishing_token TEXT,
    photo_id TEXT
);
CREATE INDEX resumable_uploads_expires_idx ON resumable_uploads (expires_at);

-- The received bytes, as consecutive parts, each its own object.
CREATE TABLE resumable_upload_parts (
    upload_id TEXT NOT NULL REFERENCES resumable_uploads (id) ON DELETE CASCADE,
    start_offset BIGINT NOT NULL,
    size BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    PRIMARY KEY (upload_id, start_offset)
);
