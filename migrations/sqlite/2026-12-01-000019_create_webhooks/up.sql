-- Where events go: Standard Webhooks receivers and work-chat robots, each with the event
-- types and the part of the registry (region prefix, sectors) it hears of.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('standard', 'wecom', 'dingtalk')),
    event_types TEXT NOT NULL,
    region_prefix TEXT,
    sectors TEXT NOT NULL,
    description TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users (id),
    disabled_at TIMESTAMP,
    disabled_reason TEXT,
    failing_since TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_region_idx ON webhook_endpoints (region_prefix);

-- One event to one endpoint: the same webhook-id on every attempt, retried on a schedule.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_latency_ms INTEGER,
    last_error TEXT,
    response_excerpt TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at, id);
