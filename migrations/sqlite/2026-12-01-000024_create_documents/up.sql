-- Documents issued from the record (src/documents/): the first issue of each fixes its facts
-- (`data`, what the template read) and its bytes (`object_key` in the photo store, `sha256`),
-- so the paper never changes and anyone can check it at /verify/{code}.
CREATE TABLE documents (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    number TEXT,
    issuing_body TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    data TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL,
    size BIGINT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX documents_subject_idx ON documents (kind, subject);
