-- Running tallies behind GET /api/v1/stats (src/stats/tally.rs keeps them in step with every
-- write, in the writer's transaction). A year's figures then sum a few thousand rows instead of
-- counting half a million.
-- The codes and ids are ASCII and compared byte by byte (COLLATE "C"): sorting them for
-- COUNT(DISTINCT) and GROUP BY then skips the locale's rules, which takes about a third off.
--
-- report_tallies: the figures that add up, per month (China Standard Time), county (the first
-- six digits of the region code) and sector.
CREATE TABLE report_tallies (
    month                   TEXT COLLATE "C" NOT NULL,
    county_code             TEXT COLLATE "C" NOT NULL,
    sector_code             TEXT COLLATE "C" NOT NULL,
    inspections             BIGINT NOT NULL,
    hazards_found           BIGINT NOT NULL,
    major_hazards_found     BIGINT NOT NULL,
    hazards_rectified       BIGINT NOT NULL,
    major_hazards_rectified BIGINT NOT NULL,
    hazards_closed          BIGINT NOT NULL,
    PRIMARY KEY (month, county_code, sector_code)
);

-- inspected_enterprises: which months of a year (bit m-1 for month m, China Standard Time) an
-- enterprise was inspected in, under the region and sector its inspections carry. Distinct
-- enterprises do not add up; one row per enterprise and year keeps them countable.
CREATE TABLE inspected_enterprises (
    year          INTEGER NOT NULL,
    enterprise_id TEXT COLLATE "C" NOT NULL,
    region_code   TEXT COLLATE "C" NOT NULL,
    sector_code   TEXT COLLATE "C" NOT NULL,
    months        INTEGER NOT NULL,
    PRIMARY KEY (year, enterprise_id, region_code, sector_code)
);

INSERT INTO report_tallies
SELECT month, county_code, sector_code, SUM(inspections), SUM(found), SUM(major_found),
       SUM(rectified), SUM(major_rectified), SUM(closed)
FROM (
    SELECT to_char(created_at + interval '8 hours', 'YYYY-MM') AS month,
           substr(region_code, 1, 6) AS county_code, sector_code, 0 AS inspections,
           CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END AS found,
           CASE WHEN status <> 'cancelled' AND level = 'major' THEN 1 ELSE 0 END AS major_found,
           CASE WHEN status IN ('verified', 'closed') THEN 1 ELSE 0 END AS rectified,
           CASE WHEN status IN ('verified', 'closed') AND level = 'major' THEN 1 ELSE 0 END
               AS major_rectified,
           CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS closed
    FROM hazards
    UNION ALL
    SELECT to_char(submitted_at + interval '8 hours', 'YYYY-MM'), substr(region_code, 1, 6),
           sector_code, 1, 0, 0, 0, 0, 0
    FROM inspections WHERE status = 'submitted' AND kind <> 'self'
) AS counted
GROUP BY month, county_code, sector_code;

INSERT INTO inspected_enterprises
SELECT CAST(EXTRACT(YEAR FROM submitted_at + interval '8 hours') AS INTEGER), enterprise_id,
       region_code, sector_code,
       CAST(SUM(DISTINCT 1 << (CAST(EXTRACT(MONTH FROM submitted_at + interval '8 hours') AS INTEGER) - 1)) AS INTEGER)
FROM inspections WHERE status = 'submitted' AND kind <> 'self'
GROUP BY 1, 2, 3, 4;
