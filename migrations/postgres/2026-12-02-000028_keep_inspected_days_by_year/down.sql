CREATE TABLE inspected_enterprise_days (
    month         TEXT COLLATE "C" NOT NULL,
    enterprise_id TEXT COLLATE "C" NOT NULL,
    region_code   TEXT COLLATE "C" NOT NULL,
    sector_code   TEXT COLLATE "C" NOT NULL,
    days          INTEGER NOT NULL,
    PRIMARY KEY (month, enterprise_id, region_code, sector_code)
);

CREATE TABLE officer_inspected_enterprise_days (
    month         TEXT COLLATE "C" NOT NULL,
    officer_id    TEXT COLLATE "C" NOT NULL,
    enterprise_id TEXT COLLATE "C" NOT NULL,
    region_code   TEXT COLLATE "C" NOT NULL,
    sector_code   TEXT COLLATE "C" NOT NULL,
    days          INTEGER NOT NULL,
    PRIMARY KEY (month, officer_id, enterprise_id, region_code, sector_code)
);

INSERT INTO inspected_enterprise_days
SELECT lpad(CAST(year AS TEXT), 4, '0') || '-01', enterprise_id, region_code, sector_code, days_01 FROM inspected_enterprises WHERE days_01 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-02', enterprise_id, region_code, sector_code, days_02 FROM inspected_enterprises WHERE days_02 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-03', enterprise_id, region_code, sector_code, days_03 FROM inspected_enterprises WHERE days_03 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-04', enterprise_id, region_code, sector_code, days_04 FROM inspected_enterprises WHERE days_04 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-05', enterprise_id, region_code, sector_code, days_05 FROM inspected_enterprises WHERE days_05 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-06', enterprise_id, region_code, sector_code, days_06 FROM inspected_enterprises WHERE days_06 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-07', enterprise_id, region_code, sector_code, days_07 FROM inspected_enterprises WHERE days_07 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-08', enterprise_id, region_code, sector_code, days_08 FROM inspected_enterprises WHERE days_08 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-09', enterprise_id, region_code, sector_code, days_09 FROM inspected_enterprises WHERE days_09 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-10', enterprise_id, region_code, sector_code, days_10 FROM inspected_enterprises WHERE days_10 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-11', enterprise_id, region_code, sector_code, days_11 FROM inspected_enterprises WHERE days_11 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-12', enterprise_id, region_code, sector_code, days_12 FROM inspected_enterprises WHERE days_12 <> 0;

INSERT INTO officer_inspected_enterprise_days
SELECT lpad(CAST(year AS TEXT), 4, '0') || '-01', officer_id, enterprise_id, region_code, sector_code, days_01 FROM officer_inspected_enterprises WHERE days_01 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-02', officer_id, enterprise_id, region_code, sector_code, days_02 FROM officer_inspected_enterprises WHERE days_02 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-03', officer_id, enterprise_id, region_code, sector_code, days_03 FROM officer_inspected_enterprises WHERE days_03 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-04', officer_id, enterprise_id, region_code, sector_code, days_04 FROM officer_inspected_enterprises WHERE days_04 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-05', officer_id, enterprise_id, region_code, sector_code, days_05 FROM officer_inspected_enterprises WHERE days_05 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-06', officer_id, enterprise_id, region_code, sector_code, days_06 FROM officer_inspected_enterprises WHERE days_06 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-07', officer_id, enterprise_id, region_code, sector_code, days_07 FROM officer_inspected_enterprises WHERE days_07 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-08', officer_id, enterprise_id, region_code, sector_code, days_08 FROM officer_inspected_enterprises WHERE days_08 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-09', officer_id, enterprise_id, region_code, sector_code, days_09 FROM officer_inspected_enterprises WHERE days_09 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-10', officer_id, enterprise_id, region_code, sector_code, days_10 FROM officer_inspected_enterprises WHERE days_10 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-11', officer_id, enterprise_id, region_code, sector_code, days_11 FROM officer_inspected_enterprises WHERE days_11 <> 0
UNION ALL SELECT lpad(CAST(year AS TEXT), 4, '0') || '-12', officer_id, enterprise_id, region_code, sector_code, days_12 FROM officer_inspected_enterprises WHERE days_12 <> 0;

ALTER TABLE inspected_enterprises
    DROP COLUMN days_01,
    DROP COLUMN days_02,
    DROP COLUMN days_03,
    DROP COLUMN days_04,
    DROP COLUMN days_05,
    DROP COLUMN days_06,
    DROP COLUMN days_07,
    DROP COLUMN days_08,
    DROP COLUMN days_09,
    DROP COLUMN days_10,
    DROP COLUMN days_11,
    DROP COLUMN days_12;

ALTER TABLE officer_inspected_enterprises
    DROP COLUMN days_01,
    DROP COLUMN days_02,
    DROP COLUMN days_03,
    DROP COLUMN days_04,
    DROP COLUMN days_05,
    DROP COLUMN days_06,
    DROP COLUMN days_07,
    DROP COLUMN days_08,
    DROP COLUMN days_09,
    DROP COLUMN days_10,
    DROP COLUMN days_11,
    DROP COLUMN days_12;
