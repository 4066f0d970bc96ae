DROP INDEX hazards_open_idx;
CREATE INDEX hazards_open_idx ON hazards (created_at, id)
    INCLUDE (deadline, region_code, sector_code, enterprise_id) WHERE status = 'open';
DROP TABLE officer_inspected_enterprise_days;
DROP TABLE inspected_enterprise_days;
DROP TABLE officer_day_tallies;
DROP TABLE day_tallies;
