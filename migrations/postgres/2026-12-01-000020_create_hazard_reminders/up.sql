-- What the scheduler has announced of each deadline: a reminder N days before
-- (`approaching_N`) and the deadline passing (`overdue`). The key makes each announcement
-- happen once however many nodes run the scheduler; a moved deadline is announced anew.
CREATE TABLE hazard_reminders (
    hazard_id TEXT NOT NULL REFERENCES hazards (id),
    kind TEXT NOT NULL,
    deadline TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (hazard_id, kind, deadline)
);
-- Open hazards by deadline, for the scheduler's scans.
CREATE INDEX hazards_open_deadline_idx ON hazards (deadline) WHERE status = 'open';

-- The actor of what the server does by itself (an overdue major hazard listed automatically).
-- It cannot sign in: it is inactive and has no password.
INSERT INTO users (id, username, password_hash, display_name, role, sectors, active, version, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', '_system', '!', '系统（safeloop）', 'supervisor', '', FALSE, 1,
        '2026-12-01 00:00:00', '2026-12-01 00:00:00');
