-- Photo evidence. The bytes live in the object store under keys made from their SHA-256;
-- several rows may share one object (the same photo uploaded twice).
CREATE TABLE photos (
    id                   TEXT PRIMARY KEY NOT NULL,
    sha256               TEXT NOT NULL,
    storage_key          TEXT NOT NULL,
    thumbnail_key        TEXT NOT NULL,
    content_type         TEXT NOT NULL,
    size                 BIGINT NOT NULL,
    width                INTEGER NOT NULL,
    height               INTEGER NOT NULL,
    purpose              TEXT NOT NULL CHECK (purpose IN ('site', 'hazard', 'rectification', 'verification')),
    exif_captured_at     TIMESTAMP,
    exif_latitude        DOUBLE PRECISION,
    exif_longitude       DOUBLE PRECISION,
    exif_orientation     INTEGER,
    camera_make          TEXT,
    camera_model         TEXT,
    declared_captured_at TIMESTAMP,
    declared_latitude    DOUBLE PRECISION,
    declared_longitude   DOUBLE PRECISION,
    uploaded_by          TEXT NOT NULL REFERENCES users (id),
    uploaded_at          TIMESTAMP NOT NULL,
    attached_at          TIMESTAMP
);
CREATE INDEX photos_sha256_idx ON photos (sha256);
CREATE INDEX photos_unattached_idx ON photos (attached_at, uploaded_at);

-- Photos attached to a hazard (as reported, or with a later step of the loop).
CREATE TABLE hazard_photos (
    hazard_id TEXT NOT NULL REFERENCES hazards (id),
    photo_id  TEXT NOT NULL REFERENCES photos (id),
    PRIMARY KEY (hazard_id, photo_id)
);
CREATE INDEX hazard_photos_photo_idx ON hazard_photos (photo_id);
