-- Indexes for the bureau's figures and the busiest list pages at a million hazards.
-- The period scans of /stats read only these covering indexes (index-only scans), not the
-- wide rows; the partial indexes serve pages of major and of open (and overdue) hazards newest
-- first without walking past everything else.
CREATE INDEX hazards_period_idx ON hazards (created_at)
    INCLUDE (sector_code, region_code, level, status, deadline, reported_by, enterprise_id);
CREATE INDEX hazards_major_idx ON hazards (created_at, id) WHERE level = 'major';
CREATE INDEX hazards_open_idx ON hazards (created_at, id)
    INCLUDE (deadline, region_code, sector_code, enterprise_id) WHERE status = 'open';
CREATE INDEX inspections_period_idx ON inspections (submitted_at)
    INCLUDE (sector_code, region_code, enterprise_id, kind, status, created_by);
