-- The registry: administrative regions (GB/T 2260), sectors (行业领域) and enterprises.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES regions (code)
);
CREATE INDEX regions_parent_idx ON regions (parent_code);

CREATE TABLE sectors (
    code        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES sectors (code),
    position    INTEGER NOT NULL
);
INSERT INTO sectors (code, name, parent_code, position) VALUES
    ('non_coal_mines', '非煤矿山', NULL, 1),
    ('hazardous_chemicals', '危险化学品', NULL, 2),
    ('fireworks', '烟花爆竹', NULL, 3),
    ('industry_trade', '工贸', NULL, 4),
    ('metallurgy', '冶金', 'industry_trade', 5),
    ('nonferrous_metals', '有色', 'industry_trade', 6),
    ('building_materials', '建材', 'industry_trade', 7),
    ('machinery', '机械', 'industry_trade', 8),
    ('light_industry', '轻工', 'industry_trade', 9),
    ('textiles', '纺织', 'industry_trade', 10),
    ('tobacco', '烟草', 'industry_trade', 11),
    ('commerce', '商贸', 'industry_trade', 12),
    ('construction', '建筑施工', NULL, 13),
    ('road_transport', '道路运输', NULL, 14),
    ('waterway_transport', '水上交通', NULL, 15),
    ('fire_safety', '消防', NULL, 16),
    ('crowded_places', '人员密集场所', 'fire_safety', 17),
    ('high_rise_buildings', '高层建筑', 'fire_safety', 18),
    ('urban_gas', '城镇燃气', NULL, 19),
    ('special_equipment', '特种设备', NULL, 20),
    ('electric_power', '电力', NULL, 21),
    ('culture_tourism', '文化旅游', NULL, 22),
    ('agriculture', '农业农村', NULL, 23),
    ('education', '教育', NULL, 24),
    ('school_buses', '校车', 'education', 25),
    ('self_built_housing', '自建房', NULL, 26),
    ('hazardous_waste', '危险废物', NULL, 27);

CREATE TABLE enterprises (
    id                          TEXT PRIMARY KEY NOT NULL,
    credit_code                 TEXT NOT NULL UNIQUE,
    credit_code_override_reason TEXT,
    name                        TEXT NOT NULL,
    sector_code                 TEXT NOT NULL REFERENCES sectors (code),
    region_code                 TEXT NOT NULL REFERENCES regions (code),
    address                     TEXT NOT NULL,
    latitude                    REAL,
    longitude                   REAL,
    risk_level                  TEXT NOT NULL CHECK (risk_level IN ('red', 'orange', 'yellow', 'blue')),
    contact_name                TEXT NOT NULL,
    contact_phone               TEXT NOT NULL,
    above_scale                 BOOLEAN NOT NULL,
    version                     BIGINT NOT NULL,
    created_at                  TIMESTAMP NOT NULL,
    updated_at                  TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_region_idx ON enterprises (region_code, sector_code);
CREATE INDEX enterprises_sector_idx ON enterprises (sector_code);
CREATE INDEX enterprises_created_idx ON enterprises (created_at, id);
CREATE INDEX enterprises_updated_idx ON enterprises (updated_at, id);
