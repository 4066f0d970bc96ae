-- Direct uploads: a slot the client PUTs the bytes into (S3 presigned, or safeloop's own signed
-- URL on local disk), then confirms; the bytes are checked against what was declared.
CREATE TABLE photo_uploads (
    id           TEXT PRIMARY KEY NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    staging_key  TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    -- The photo it became; not a foreign key, since an unattached photo may be collected.
    photo_id     TEXT,
    completed_at TIMESTAMP
);
CREATE INDEX photo_uploads_expires_idx ON photo_uploads (expires_at);
