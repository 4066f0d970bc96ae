DROP TABLE idempotency_keys;
DROP TABLE hazards;
DROP TABLE inspection_results;
DROP TABLE inspection_officers;
DROP TABLE inspections;
DROP TABLE checklist_items;
DROP TABLE checklists;
