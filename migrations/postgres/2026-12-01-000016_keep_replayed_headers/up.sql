-- A replayed answer carries the first answer's ETag and Location too ("Name: value" lines),
-- so a client that retried a create learns where the record is and which version it has.
ALTER TABLE idempotency_keys ADD COLUMN response_headers TEXT;
