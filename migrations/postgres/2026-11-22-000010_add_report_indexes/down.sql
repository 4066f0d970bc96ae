DROP INDEX inspections_period_idx;
DROP INDEX hazards_open_idx;
DROP INDEX hazards_major_idx;
DROP INDEX hazards_period_idx;
