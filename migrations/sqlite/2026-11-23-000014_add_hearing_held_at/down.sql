ALTER TABLE enforcement_actions DROP COLUMN hearing_held_at;
