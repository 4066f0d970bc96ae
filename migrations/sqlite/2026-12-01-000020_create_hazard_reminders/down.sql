DROP INDEX hazards_open_deadline_idx;
DROP TABLE hazard_reminders;
-- Kept while the record names it.
DELETE FROM users WHERE id = '00000000-0000-0000-0000-000000000000'
    AND NOT EXISTS (SELECT 1 FROM hazard_events WHERE actor_id = '00000000-0000-0000-0000-000000000000');
