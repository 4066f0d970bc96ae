DROP INDEX hazards_enterprise_queue_idx;
DROP INDEX hazards_queue_idx;
ALTER TABLE hazards DROP COLUMN status_since;
