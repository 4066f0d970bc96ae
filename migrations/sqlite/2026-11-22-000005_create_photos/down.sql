DROP TABLE hazard_photos;
DROP TABLE photos;
