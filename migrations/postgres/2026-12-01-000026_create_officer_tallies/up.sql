-- The report tallies again, per officer (src/stats/tally.rs keeps them in step with every
-- write, in the writer's transaction), so figures grouped by inspector sum a few thousand rows
-- instead of counting half a million: a hazard counts for the officer who reported it, an
-- inspection for every officer present (inspection_officers), as /stats counts them.
CREATE TABLE officer_tallies (
    month                   TEXT COLLATE "C" NOT NULL,
    officer_id              TEXT COLLATE "C" NOT NULL,
    county_code             TEXT COLLATE "C" NOT NULL,
    sector_code             TEXT COLLATE "C" NOT NULL,
    inspections             BIGINT NOT NULL,
    hazards_found           BIGINT NOT NULL,
    major_hazards_found     BIGINT NOT NULL,
    hazards_rectified       BIGINT NOT NULL,
    major_hazards_rectified BIGINT NOT NULL,
    hazards_closed          BIGINT NOT NULL,
    PRIMARY KEY (month, officer_id, county_code, sector_code)
);

-- Which months of a year (bit m-1 for month m) each officer inspected each enterprise in.
CREATE TABLE officer_inspected_enterprises (
    year          INTEGER NOT NULL,
    officer_id    TEXT COLLATE "C" NOT NULL,
    enterprise_id TEXT COLLATE "C" NOT NULL,
    region_code   TEXT COLLATE "C" NOT NULL,
    sector_code   TEXT COLLATE "C" NOT NULL,
    months        INTEGER NOT NULL,
    PRIMARY KEY (year, officer_id, enterprise_id, region_code, sector_code)
);

INSERT INTO officer_tallies
SELECT month, officer_id, county_code, sector_code, SUM(inspections), SUM(found),
       SUM(major_found), SUM(rectified), SUM(major_rectified), SUM(closed)
FROM (
    SELECT to_char(created_at + interval '8 hours', 'YYYY-MM') AS month, reported_by AS officer_id,
           substr(region_code, 1, 6) AS county_code, sector_code, 0 AS inspections,
           CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END AS found,
           CASE WHEN status <> 'cancelled' AND level = 'major' THEN 1 ELSE 0 END AS major_found,
           CASE WHEN status IN ('verified', 'closed') THEN 1 ELSE 0 END AS rectified,
           CASE WHEN status IN ('verified', 'closed') AND level = 'major' THEN 1 ELSE 0 END
               AS major_rectified,
           CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS closed
    FROM hazards
    UNION ALL
    SELECT to_char(i.submitted_at + interval '8 hours', 'YYYY-MM'), o.user_id, substr(i.region_code, 1, 6), i.sector_code, 1, 0, 0, 0, 0, 0
    FROM inspections i JOIN inspection_officers o ON o.inspection_id = i.id
    WHERE i.status = 'submitted' AND i.kind <> 'self'
) AS counted
GROUP BY month, officer_id, county_code, sector_code;

INSERT INTO officer_inspected_enterprises
SELECT CAST(EXTRACT(YEAR FROM i.submitted_at + interval '8 hours') AS INTEGER), o.user_id, i.enterprise_id, i.region_code, i.sector_code,
       CAST(SUM(DISTINCT 1 << (CAST(EXTRACT(MONTH FROM i.submitted_at + interval '8 hours') AS INTEGER) - 1)) AS INTEGER)
FROM inspections i JOIN inspection_officers o ON o.inspection_id = i.id
WHERE i.status = 'submitted' AND i.kind <> 'self'
GROUP BY 1, 2, 3, 4, 5;
