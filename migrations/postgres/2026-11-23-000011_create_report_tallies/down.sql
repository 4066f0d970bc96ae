DROP TABLE inspected_enterprises;
DROP TABLE report_tallies;
