DROP TABLE enterprises;
DROP TABLE sectors;
DROP TABLE regions;
