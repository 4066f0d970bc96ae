-- Console sign-ins (src/console/): the browser holds a random token in an HttpOnly cookie; the
-- server keeps only its SHA-256, so a session ends for good when its row goes (sign-out), and
-- every page reads the user afresh (a deactivated user's sessions stop at the next click).
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id);
