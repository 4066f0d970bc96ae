-- Since when a hazard has stood at its status: how long it has waited for whoever acts next
-- (GET /api/v1/me/tasks). Set by every report and transition; older rows take their last change.
ALTER TABLE hazards ADD COLUMN status_since TIMESTAMP;
UPDATE hazards SET status_since = updated_at;
-- The re-check and closure queues: few rows per status, oldest first.
CREATE INDEX hazards_queue_idx ON hazards (status, status_since, id);
-- An enterprise's own open hazards by deadline.
CREATE INDEX hazards_enterprise_queue_idx ON hazards (enterprise_id, status, deadline, id);
