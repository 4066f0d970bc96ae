DROP TABLE officer_inspected_enterprises;
DROP TABLE officer_tallies;
