-- Indexes for the bureau's figures and the busiest list pages at a million hazards.
-- SQLite has no INCLUDE: the covered columns follow the key, which serves the same scans.
CREATE INDEX hazards_period_idx ON hazards
    (created_at, sector_code, region_code, level, status, deadline, reported_by, enterprise_id);
CREATE INDEX hazards_major_idx ON hazards (created_at, id) WHERE level = 'major';
CREATE INDEX hazards_open_idx ON hazards
    (created_at, id, deadline, region_code, sector_code, enterprise_id) WHERE status = 'open';
CREATE INDEX inspections_period_idx ON inspections
    (submitted_at, sector_code, region_code, enterprise_id, kind, status, created_by);
