DROP TABLE enforcement_action_hazards;
DROP TABLE enforcement_actions;
