-- Refresh tokens, stored only as SHA-256 hashes. A family is one login and all its rotations:
-- presenting a used token revokes the whole family.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed logins, kept in the database so every API process sees the same counts.
CREATE TABLE login_failures (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL,
    client_addr   TEXT NOT NULL,
    attempted_at  TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username_idx ON login_failures (username, attempted_at);
CREATE INDEX login_failures_client_idx ON login_failures (client_addr, attempted_at);
