DROP TABLE log_readers;
DROP TABLE outbox_events;
