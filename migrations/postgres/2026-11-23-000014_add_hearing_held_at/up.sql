-- 行政处罚法 art. 65: when the party asked for a hearing, the penalty decision follows it.
-- When the hearing was held; the rules require it before such a decision.
ALTER TABLE enforcement_actions ADD COLUMN hearing_held_at TIMESTAMP;
