-- The report tallies again by day (China Standard Time), beside the monthly ones, so a period
-- that starts or ends inside a month takes its whole months from the monthly tallies and only
-- the days at its edges from these (src/stats/tally/ keeps both in step with every write).
CREATE TABLE day_tallies (
    day                     TEXT NOT NULL,
    county_code             TEXT NOT NULL,
    sector_code             TEXT NOT NULL,
    inspections             BIGINT NOT NULL,
    hazards_found           BIGINT NOT NULL,
    major_hazards_found     BIGINT NOT NULL,
    hazards_rectified       BIGINT NOT NULL,
    major_hazards_rectified BIGINT NOT NULL,
    hazards_closed          BIGINT NOT NULL,
    PRIMARY KEY (day, county_code, sector_code)
);

CREATE TABLE officer_day_tallies (
    day                     TEXT NOT NULL,
    officer_id              TEXT NOT NULL,
    county_code             TEXT NOT NULL,
    sector_code             TEXT NOT NULL,
    inspections             BIGINT NOT NULL,
    hazards_found           BIGINT NOT NULL,
    major_hazards_found     BIGINT NOT NULL,
    hazards_rectified       BIGINT NOT NULL,
    major_hazards_rectified BIGINT NOT NULL,
    hazards_closed          BIGINT NOT NULL,
    PRIMARY KEY (day, officer_id, county_code, sector_code)
);

-- Which days of a month (bit d-1 for day d) each enterprise was inspected on, so distinct
-- enterprises stay countable over any run of days; and the same per officer present.
CREATE TABLE inspected_enterprise_days (
    month         TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    sector_code   TEXT NOT NULL,
    days          INTEGER NOT NULL,
    PRIMARY KEY (month, enterprise_id, region_code, sector_code)
);

CREATE TABLE officer_inspected_enterprise_days (
    month         TEXT NOT NULL,
    officer_id    TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    sector_code   TEXT NOT NULL,
    days          INTEGER NOT NULL,
    PRIMARY KEY (month, officer_id, enterprise_id, region_code, sector_code)
);

INSERT INTO day_tallies
SELECT day, county_code, sector_code, SUM(inspections), SUM(found), SUM(major_found),
       SUM(rectified), SUM(major_rectified), SUM(closed)
FROM (
    SELECT strftime('%Y-%m-%d', created_at, '+8 hours') AS day, substr(region_code, 1, 6) AS county_code,
           sector_code, 0 AS inspections,
           CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END AS found,
           CASE WHEN status <> 'cancelled' AND level = 'major' THEN 1 ELSE 0 END AS major_found,
           CASE WHEN status IN ('verified', 'closed') THEN 1 ELSE 0 END AS rectified,
           CASE WHEN status IN ('verified', 'closed') AND level = 'major' THEN 1 ELSE 0 END
               AS major_rectified,
           CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS closed
    FROM hazards
    UNION ALL
    SELECT strftime('%Y-%m-%d', submitted_at, '+8 hours'), substr(region_code, 1, 6), sector_code, 1, 0, 0, 0, 0, 0
    FROM inspections WHERE status = 'submitted' AND kind <> 'self'
) AS counted
GROUP BY day, county_code, sector_code;

INSERT INTO officer_day_tallies
SELECT day, officer_id, county_code, sector_code, SUM(inspections), SUM(found),
       SUM(major_found), SUM(rectified), SUM(major_rectified), SUM(closed)
FROM (
    SELECT strftime('%Y-%m-%d', created_at, '+8 hours') AS day, reported_by AS officer_id,
           substr(region_code, 1, 6) AS county_code, sector_code, 0 AS inspections,
           CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END AS found,
           CASE WHEN status <> 'cancelled' AND level = 'major' THEN 1 ELSE 0 END AS major_found,
           CASE WHEN status IN ('verified', 'closed') THEN 1 ELSE 0 END AS rectified,
           CASE WHEN status IN ('verified', 'closed') AND level = 'major' THEN 1 ELSE 0 END
               AS major_rectified,
           CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS closed
    FROM hazards
    UNION ALL
    SELECT strftime('%Y-%m-%d', i.submitted_at, '+8 hours'), o.user_id, substr(i.region_code, 1, 6), i.sector_code, 1, 0, 0, 0, 0, 0
    FROM inspections i JOIN inspection_officers o ON o.inspection_id = i.id
    WHERE i.status = 'submitted' AND i.kind <> 'self'
) AS counted
GROUP BY day, officer_id, county_code, sector_code;

INSERT INTO inspected_enterprise_days
SELECT strftime('%Y-%m', submitted_at, '+8 hours'), enterprise_id, region_code, sector_code,
       CAST(SUM(DISTINCT 1 << (CAST(strftime('%d', submitted_at, '+8 hours') AS INTEGER) - 1)) AS INTEGER)
FROM inspections
WHERE status = 'submitted' AND kind <> 'self'
GROUP BY 1, 2, 3, 4;

INSERT INTO officer_inspected_enterprise_days
SELECT strftime('%Y-%m', i.submitted_at, '+8 hours'), o.user_id, i.enterprise_id, i.region_code, i.sector_code,
       CAST(SUM(DISTINCT 1 << (CAST(strftime('%d', i.submitted_at, '+8 hours') AS INTEGER) - 1)) AS INTEGER)
FROM inspections i JOIN inspection_officers o ON o.inspection_id = i.id
WHERE i.status = 'submitted' AND i.kind <> 'self'
GROUP BY 1, 2, 3, 4, 5;

-- Overdue hazards by inspector count the open hazards by who reported them: the open-hazard
-- index carries the reporter too, so that count reads the index alone.
DROP INDEX hazards_open_idx;
CREATE INDEX hazards_open_idx ON hazards
    (created_at, id, deadline, region_code, sector_code, enterprise_id, reported_by)
    WHERE status = 'open';
