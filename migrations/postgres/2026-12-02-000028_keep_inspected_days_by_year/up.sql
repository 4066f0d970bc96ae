-- Which days of each month (days_01 ... days_12, bit d-1 for day d) an enterprise was inspected
-- on, kept in its year's row beside the months, everyone's and per officer present: distinct
-- enterprises over any run of days inside a year are counted from one row per enterprise and
-- year, where the monthly rows of inspected_enterprise_days held one per month.
ALTER TABLE inspected_enterprises
    ADD COLUMN days_01 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_02 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_03 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_04 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_05 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_06 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_07 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_08 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_09 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_10 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_11 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_12 INTEGER NOT NULL DEFAULT 0;

UPDATE inspected_enterprises SET days_01 = d.days_01, days_02 = d.days_02, days_03 = d.days_03, days_04 = d.days_04, days_05 = d.days_05, days_06 = d.days_06, days_07 = d.days_07, days_08 = d.days_08, days_09 = d.days_09, days_10 = d.days_10, days_11 = d.days_11, days_12 = d.days_12
FROM (
    SELECT CAST(substr(month, 1, 4) AS INTEGER) AS year, enterprise_id, region_code, sector_code,
           MAX(CASE WHEN substr(month, 6, 2) = '01' THEN days ELSE 0 END) AS days_01,
           MAX(CASE WHEN substr(month, 6, 2) = '02' THEN days ELSE 0 END) AS days_02,
           MAX(CASE WHEN substr(month, 6, 2) = '03' THEN days ELSE 0 END) AS days_03,
           MAX(CASE WHEN substr(month, 6, 2) = '04' THEN days ELSE 0 END) AS days_04,
           MAX(CASE WHEN substr(month, 6, 2) = '05' THEN days ELSE 0 END) AS days_05,
           MAX(CASE WHEN substr(month, 6, 2) = '06' THEN days ELSE 0 END) AS days_06,
           MAX(CASE WHEN substr(month, 6, 2) = '07' THEN days ELSE 0 END) AS days_07,
           MAX(CASE WHEN substr(month, 6, 2) = '08' THEN days ELSE 0 END) AS days_08,
           MAX(CASE WHEN substr(month, 6, 2) = '09' THEN days ELSE 0 END) AS days_09,
           MAX(CASE WHEN substr(month, 6, 2) = '10' THEN days ELSE 0 END) AS days_10,
           MAX(CASE WHEN substr(month, 6, 2) = '11' THEN days ELSE 0 END) AS days_11,
           MAX(CASE WHEN substr(month, 6, 2) = '12' THEN days ELSE 0 END) AS days_12
    FROM inspected_enterprise_days
    GROUP BY 1, 2, 3, 4
) AS d
WHERE d.year = inspected_enterprises.year
  AND d.enterprise_id = inspected_enterprises.enterprise_id AND d.region_code = inspected_enterprises.region_code AND d.sector_code = inspected_enterprises.sector_code;

ALTER TABLE officer_inspected_enterprises
    ADD COLUMN days_01 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_02 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_03 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_04 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_05 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_06 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_07 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_08 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_09 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_10 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_11 INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN days_12 INTEGER NOT NULL DEFAULT 0;

UPDATE officer_inspected_enterprises SET days_01 = d.days_01, days_02 = d.days_02, days_03 = d.days_03, days_04 = d.days_04, days_05 = d.days_05, days_06 = d.days_06, days_07 = d.days_07, days_08 = d.days_08, days_09 = d.days_09, days_10 = d.days_10, days_11 = d.days_11, days_12 = d.days_12
FROM (
    SELECT CAST(substr(month, 1, 4) AS INTEGER) AS year, officer_id, enterprise_id, region_code, sector_code,
           MAX(CASE WHEN substr(month, 6, 2) = '01' THEN days ELSE 0 END) AS days_01,
           MAX(CASE WHEN substr(month, 6, 2) = '02' THEN days ELSE 0 END) AS days_02,
           MAX(CASE WHEN substr(month, 6, 2) = '03' THEN days ELSE 0 END) AS days_03,
           MAX(CASE WHEN substr(month, 6, 2) = '04' THEN days ELSE 0 END) AS days_04,
           MAX(CASE WHEN substr(month, 6, 2) = '05' THEN days ELSE 0 END) AS days_05,
           MAX(CASE WHEN substr(month, 6, 2) = '06' THEN days ELSE 0 END) AS days_06,
           MAX(CASE WHEN substr(month, 6, 2) = '07' THEN days ELSE 0 END) AS days_07,
           MAX(CASE WHEN substr(month, 6, 2) = '08' THEN days ELSE 0 END) AS days_08,
           MAX(CASE WHEN substr(month, 6, 2) = '09' THEN days ELSE 0 END) AS days_09,
           MAX(CASE WHEN substr(month, 6, 2) = '10' THEN days ELSE 0 END) AS days_10,
           MAX(CASE WHEN substr(month, 6, 2) = '11' THEN days ELSE 0 END) AS days_11,
           MAX(CASE WHEN substr(month, 6, 2) = '12' THEN days ELSE 0 END) AS days_12
    FROM officer_inspected_enterprise_days
    GROUP BY 1, 2, 3, 4, 5
) AS d
WHERE d.year = officer_inspected_enterprises.year
  AND d.officer_id = officer_inspected_enterprises.officer_id AND d.enterprise_id = officer_inspected_enterprises.enterprise_id AND d.region_code = officer_inspected_enterprises.region_code AND d.sector_code = officer_inspected_enterprises.sector_code;

DROP TABLE officer_inspected_enterprise_days;
DROP TABLE inspected_enterprise_days;
