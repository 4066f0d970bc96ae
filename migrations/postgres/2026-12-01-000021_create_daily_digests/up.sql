-- The morning digest each work-chat robot gets once a day (China Standard Time), once however
-- many nodes run the scheduler.
CREATE TABLE daily_digests (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (endpoint_id, day)
);
