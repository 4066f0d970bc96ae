-- A completion claims its slot before checking the bytes, so a phone that asks again while the
-- first call still runs waits for that photo instead of making a second one. A claim older than
-- the lease (a server that stopped mid-way) may be taken over.
ALTER TABLE photo_uploads ADD COLUMN claimed_at TIMESTAMP;
