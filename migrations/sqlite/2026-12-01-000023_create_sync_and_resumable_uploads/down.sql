DROP TABLE resumable_upload_parts;
DROP TABLE resumable_uploads;
DROP TABLE sync_changes;
