-- Extension requests newest first, for the supervisor's queue and an enterprise's own list.
CREATE INDEX extension_requests_time_idx ON extension_requests (requested_at, id);
