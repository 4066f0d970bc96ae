DROP TABLE hazard_events;
