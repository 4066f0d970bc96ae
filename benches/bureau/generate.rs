//! A province's worth of generated records, written straight into the database with
//! multi-row INSERTs: regions, enterprises, officers, inspections, hazards with their events,
//! and enforcement documents. Deterministic (a fixed seed), spread over `YEARS` years ending
//! at `END`.
//!
//! Generated events carry synthetic chain hashes: they fill the table to size, they are not a
//! record anyone could verify.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::RunQueryDsl;

use safeloop::db::DbConnection;

/// How much to make.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub enterprises: usize,
    pub inspections: usize,
    pub hazards: usize,
    /// Events per hazard on average (the report plus what followed).
    pub events_per_hazard: usize,
    pub enforcement: usize,
}

impl Sizes {
    /// The bureau scale the issue names: 1,000,000 hazards, 2,000,000 events, 300,000 inspections.
    pub fn province() -> Self {
        Sizes {
            enterprises: 50_000,
            inspections: 300_000,
            hazards: 1_000_000,
            events_per_hazard: 2,
            enforcement: 20_000,
        }
    }

    pub fn scaled(hazards: usize) -> Self {
        let p = Sizes::province();
        let of = |n: usize| (n * hazards / p.hazards).max(10);
        Sizes {
            enterprises: of(p.enterprises),
            inspections: of(p.inspections),
            hazards,
            events_per_hazard: 2,
            enforcement: of(p.enforcement),
        }
    }
}

/// The data covers two years, up to the first moment of 2027 (China Standard Time).
pub const YEARS: i64 = 2;
pub fn end() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 31)
        .unwrap()
        .and_hms_opt(16, 0, 0)
        .unwrap()
}

/// SplitMix64: small, fast, and the same numbers every run.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(
            ((self.next() as u128) << 64 | self.next() as u128).to_le_bytes(),
        )
        .into_uuid()
        .to_string()
    }
}

/// The leaf sector codes enterprises are filed under.
pub const SECTORS: [&str; 20] = [
    "non_coal_mines",
    "hazardous_chemicals",
    "fireworks",
    "metallurgy",
    "nonferrous_metals",
    "building_materials",
    "machinery",
    "light_industry",
    "textiles",
    "commerce",
    "construction",
    "road_transport",
    "waterway_transport",
    "crowded_places",
    "high_rise_buildings",
    "urban_gas",
    "special_equipment",
    "electric_power",
    "culture_tourism",
    "hazardous_waste",
];

pub fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"))
}

pub fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt_ts(t: Option<NaiveDateTime>) -> String {
    t.map(ts).unwrap_or_else(|| "NULL".into())
}

/// Collects VALUES rows and writes them `ROWS` at a time.
pub struct Inserter<'a> {
    conn: &'a mut DbConnection,
    head: String,
    /// Appended to each statement, e.g. an ON CONFLICT clause.
    tail: &'static str,
    rows: Vec<String>,
    written: usize,
}

const ROWS: usize = 1000;

impl<'a> Inserter<'a> {
    pub fn new(conn: &'a mut DbConnection, table: &str, columns: &str) -> Self {
        Inserter {
            conn,
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            tail: "",
            rows: Vec::new(),
            written: 0,
        }
    }
    pub fn push(&mut self, values: String) {
        self.rows.push(values);
        if self.rows.len() == ROWS {
            self.flush();
        }
    }
    fn flush(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        let sql = format!("{}{}{}", self.head, self.rows.join(","), self.tail);
        diesel::sql_query(sql)
            .execute(self.conn)
            .expect("generated rows insert");
        self.written += self.rows.len();
        self.rows.clear();
    }
    pub fn finish(mut self) -> usize {
        self.flush();
        self.written
    }
}

/// Region codes: the province 36, 11 prefectures, 10 counties each, 12 townships each.
pub fn townships() -> Vec<String> {
    let mut codes = Vec::new();
    for p in 1..=11 {
        for c in 1..=10 {
            for t in 1..=12 {
                codes.push(format!("36{p:02}{c:02}{:03}", 100 + t));
            }
        }
    }
    codes
}

/// The two inspectors of the county a generated region code (`36PPCC…`) lies in: inspectors
/// work in their own county.
fn county_inspectors<'a>(inspector_ids: &'a [String], region: &str) -> [&'a String; 2] {
    let number = |range: std::ops::Range<usize>| -> usize {
        region[range].parse().expect("a generated region code")
    };
    let first = ((number(2..4) - 1) * 10 + (number(4..6) - 1)) * 2;
    [&inspector_ids[first], &inspector_ids[first + 1]]
}

pub fn generate(conn: &mut DbConnection, sizes: Sizes, log: &dyn Fn(&str)) {
    let mut dice = Dice::new(20_231_009);
    let now = end();
    let start = now - Duration::days(365 * YEARS);
    let span = (now - start).num_seconds() as u64;

    // Regions.
    // Start-up loads the regions of China, which share many of these codes; theirs stay.
    let mut regions = Inserter::new(conn, "regions", "code, name, parent_code");
    regions.tail = " ON CONFLICT DO NOTHING";
    regions.push("('36', '江西省', NULL)".into());
    for p in 1..=11 {
        regions.push(format!("('36{p:02}', '第{p}市', '36')"));
        for c in 1..=10 {
            regions.push(format!("('36{p:02}{c:02}', '第{p}市第{c}县', '36{p:02}')"));
            for t in 1..=12 {
                regions.push(format!(
                    "('36{p:02}{c:02}{:03}', '第{c}县第{t}镇', '36{p:02}{c:02}')",
                    100 + t
                ));
            }
        }
    }
    regions.finish();
    let townships = townships();

    // Two inspectors per county.
    let mut users = Inserter::new(
        conn,
        "users",
        "id, username, password_hash, display_name, role, region_prefix, sectors, certificate_no, active, version, created_at, updated_at",
    );
    let mut inspector_ids = Vec::new();
    for p in 1..=11 {
        for c in 1..=10 {
            for k in 0..2 {
                let id = dice.uuid();
                users.push(format!(
                    "({}, 'inspector-{p}-{c}-{k}', 'x', '检查员{p}-{c}-{k}', 'inspector', '36{p:02}{c:02}', '', 'JX-{p}{c}{k}', TRUE, 1, {t}, {t})",
                    text(&id), t = ts(start)
                ));
                inspector_ids.push(id);
            }
        }
    }
    users.finish();

    // Enterprises.
    let mut enterprises = Vec::with_capacity(sizes.enterprises);
    let mut rows = Inserter::new(
        conn,
        "enterprises",
        "id, credit_code, credit_code_override_reason, name, sector_code, region_code, address, latitude, longitude, risk_level, contact_name, contact_phone, above_scale, version, created_at, updated_at",
    );
    for i in 0..sizes.enterprises {
        let id = dice.uuid();
        let region = townships[dice.below(townships.len())].clone();
        let sector = SECTORS[dice.below(SECTORS.len())];
        let latitude = 24.5 + dice.below(4000) as f64 / 1000.0;
        let longitude = 113.6 + dice.below(4500) as f64 / 1000.0;
        let risk = ["red", "orange", "yellow", "blue"][dice.below(4)];
        rows.push(format!(
            "({}, 'GEN{i:015}', 'generated', '企业{i}', '{sector}', '{region}', '地址', {latitude}, {longitude}, '{risk}', '安全员', '0797-0000000', TRUE, 1, {t}, {t})",
            text(&id), t = ts(start)
        ));
        enterprises.push((id, region, sector));
    }
    rows.finish();
    log(&format!("{} enterprises", enterprises.len()));

    // Inspections, submitted, spread over the years; a few self-inspections.
    let mut inspections = Vec::with_capacity(sizes.inspections);
    let mut rows = Inserter::new(
        conn,
        "inspections",
        "id, enterprise_id, region_code, sector_code, kind, campaign, checklist_id, status, started_at, finished_at, latitude, longitude, summary, created_by, submitted_at, request_hash, version, created_at, updated_at",
    );
    let mut officers = Vec::with_capacity(sizes.inspections);
    for _ in 0..sizes.inspections {
        let id = dice.uuid();
        let e = dice.below(enterprises.len());
        let (enterprise, region, sector) = &enterprises[e];
        let at = start + Duration::seconds((dice.next() % span) as i64);
        let kind = [
            "routine",
            "routine",
            "special",
            "random",
            "joint",
            "follow_up",
            "self",
        ][dice.below(7)];
        // The county's two inspectors go together (the two-officer rule), either one leading.
        let pair = county_inspectors(&inspector_ids, region);
        let lead = pair[dice.below(2)];
        rows.push(format!(
            "({}, {}, '{region}', '{sector}', '{kind}', NULL, NULL, 'submitted', {t}, {t2}, NULL, NULL, '检查', {}, {t2}, '', 2, {t}, {t2})",
            text(&id), text(enterprise), text(lead), t = ts(at), t2 = ts(at + Duration::hours(3))
        ));
        for officer in pair {
            officers.push(format!("({}, {})", text(&id), text(officer)));
        }
        inspections.push((id, e, at));
    }
    rows.finish();
    write_rows(
        conn,
        "inspection_officers (inspection_id, user_id)",
        &mut officers,
    );
    log(&format!("{} inspections", inspections.len()));

    // Hazards found in the inspections, and their events.
    let mut rows = Inserter::new(
        conn,
        "hazards",
        "id, inspection_id, enterprise_id, region_code, sector_code, source, level, description, location, legal_basis, checklist_item_code, deadline, responsible_person, measures, listed_level, status, reported_by, request_hash, version, created_at, updated_at, rectified_at, closed_at, status_since",
    );
    let mut events_written = 0;
    let mut event_rows: Vec<String> = Vec::new();
    for _ in 0..sizes.hazards {
        let id = dice.uuid();
        let (inspection, e, inspected_at) = &inspections[dice.below(inspections.len())];
        let (enterprise, region, sector) = &enterprises[*e];
        let created = *inspected_at + Duration::minutes(dice.below(180) as i64);
        let deadline = created + Duration::days(7 + dice.below(53) as i64);
        let major = dice.chance(2);
        let age_days = (now - created).num_days();
        // Older hazards have mostly gone round the loop.
        let status = match dice.below(100) {
            n if n < 2 => "cancelled",
            n if age_days > 90 && n < 93 => "closed",
            n if age_days > 90 && n < 97 => "verified",
            n if n < 40 => "closed",
            n if n < 60 => "verified",
            n if n < 75 => "submitted",
            _ => "open",
        };
        let rectified = matches!(status, "verified" | "closed")
            .then(|| created + Duration::days(1 + dice.below(60) as i64));
        let closed = (status == "closed")
            .then(|| rectified.unwrap() + Duration::days(1 + dice.below(10) as i64));
        let listed = if major && dice.chance(30) {
            "'county'"
        } else {
            "NULL"
        };
        // Found in the inspection, reported by one of the county's officers present.
        let reporter = county_inspectors(&inspector_ids, region)[dice.below(2)];
        let updated = closed.or(rectified).unwrap_or(created);
        rows.push(format!(
            "({id}, {insp}, {ent}, '{region}', '{sector}', 'inspection', '{level}', '安全出口堵塞', NULL, NULL, NULL, {deadline}, '责任人', '整改措施', {listed}, '{status}', {reporter}, '', 2, {created}, {updated}, {rectified}, {closed}, {updated})",
            id = text(&id), insp = text(inspection), ent = text(enterprise),
            level = if major { "major" } else { "general" }, deadline = ts(deadline),
            reporter = text(reporter), created = ts(created), updated = ts(updated),
            rectified = opt_ts(rectified), closed = opt_ts(closed),
        ));
        for sequence in 1..=sizes.events_per_hazard {
            let (action, from, to) = if sequence == 1 {
                ("report", "NULL", "open")
            } else {
                ("submit_rectification", "'open'", "submitted")
            };
            event_rows.push(format!(
                "({}, {sequence}, {}, 'inspector', '{action}', {from}, '{to}', NULL, '', NULL, {}, 'synthetic', 'synthetic')",
                text(&id), text(reporter), ts(created + Duration::hours(sequence as i64))
            ));
        }
        if event_rows.len() >= ROWS * 2 {
            // Events follow their hazards: write the hazards first.
            rows.flush();
            events_written += write_rows(rows.conn, EVENTS, &mut event_rows);
        }
    }
    rows.finish();
    let conn_for_events = conn;
    events_written += write_rows(conn_for_events, EVENTS, &mut event_rows);
    log(&format!(
        "{} hazards, {events_written} events",
        sizes.hazards
    ));

    // Enforcement documents.
    let mut rows = Inserter::new(
        conn_for_events,
        "enforcement_actions",
        "id, kind, issuing_body, issued_year, document_no, enterprise_id, region_code, sector_code, inspection_id, fine_fen, notified_at, hearing_requested, summary, issued_by, issued_at, request_hash, created_at",
    );
    for n in 0..sizes.enforcement {
        let (enterprise, region, sector) = &enterprises[dice.below(enterprises.len())];
        let at = start + Duration::seconds((dice.next() % span) as i64);
        let kind = [
            "rectification_notice",
            "rectification_notice",
            "penalty_decision",
            "suspension",
            "seal_up",
            "interview",
            "shutdown",
            "referral",
        ][dice.below(8)];
        let (fine, notified, hearing) = if kind == "penalty_decision" {
            (
                (10_000 + dice.below(5_000_000)).to_string(),
                ts(at - Duration::days(7)),
                "FALSE".to_owned(),
            )
        } else {
            ("NULL".into(), "NULL".into(), "NULL".into())
        };
        let issuer = &inspector_ids[dice.below(inspector_ids.len())];
        rows.push(format!(
            "({}, '{kind}', '{region}应急管理局', {year}, '〔{year}〕{n}号', {}, '{region}', '{sector}', NULL, {fine}, {notified}, {hearing}, '', {}, {t}, '', {t})",
            text(&dice.uuid()), text(enterprise), text(issuer), year = at.format("%Y"), t = ts(at)
        ));
    }
    rows.finish();
    log(&format!("{} enforcement documents", sizes.enforcement));
}

const EVENTS: &str = "hazard_events (hazard_id, sequence, actor_id, actor_role, action, from_status, to_status, note, photo_ids, detail, at, prev_hash, hash)";

/// Writes collected VALUES rows into `target` (a table and its columns), then empties them.
fn write_rows(conn: &mut DbConnection, target: &str, rows: &mut Vec<String>) -> usize {
    for chunk in rows.chunks(ROWS) {
        let sql = format!("INSERT INTO {target} VALUES {}", chunk.join(","));
        diesel::sql_query(sql)
            .execute(conn)
            .expect("generated rows insert");
    }
    let written = rows.len();
    rows.clear();
    written
}

/// Brings the planner's statistics up to date after a bulk load.
pub fn analyze(conn: &mut DbConnection) {
    let sql = match conn.backend() {
        safeloop::db::Backend::Postgres => "VACUUM ANALYZE",
        safeloop::db::Backend::Sqlite => "ANALYZE",
    };
    diesel::sql_query(sql).execute(conn).expect("analyze");
}
