-- Whose claim a delivery is under: an attempt's outcome is written only by the claim that
-- made it, so a result that comes back after its lease lapsed cannot undo a newer one.
ALTER TABLE webhook_deliveries ADD COLUMN claim_token TEXT;
