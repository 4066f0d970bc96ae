ALTER TABLE photo_uploads DROP COLUMN claimed_at;
