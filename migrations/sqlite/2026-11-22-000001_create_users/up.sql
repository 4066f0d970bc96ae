-- People who sign in. Times are set by the server in UTC (microseconds), never by SQL defaults.
CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('inspector', 'enterprise', 'supervisor', 'admin')),
    enterprise_id  TEXT,
    region_prefix  TEXT,
    sectors        TEXT NOT NULL DEFAULT '',
    certificate_no TEXT,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX users_role_idx ON users (role, active);
