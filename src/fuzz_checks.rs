//! The parsers that take bytes straight from strangers, each with what must hold for any
//! input: no panic, and the answer's own promises. `fuzz/` drives them with libFuzzer
//! (`cargo fuzz run <name>`); the unit test below runs each over seeds and their mutations as
//! a smoke on every test run. Compiled only for tests and fuzzing builds.

use crate::evidence::inspect;
use crate::extract;
use crate::pagination::Cursor;
use crate::registry::{catalog, credit_code};
use crate::text;

/// The pixel budget the server runs with by default.
const PIXEL_BUDGET: u64 = 50_000_000;

/// A photo as uploaded: refused cleanly or inspected, and then the thumbnail is a JPEG of at
/// most 320 px whose source fits the pixel budget.
pub fn photo_inspection(data: &[u8]) {
    if let Ok(photo) = inspect::inspect(data, PIXEL_BUDGET) {
        assert!(u64::from(photo.width) * u64::from(photo.height) <= PIXEL_BUDGET);
        assert_eq!(photo.sha256.len(), 64);
        assert!(
            photo.thumbnail.starts_with(&[0xFF, 0xD8]),
            "the thumbnail is a JPEG"
        );
        for text in [&photo.exif.camera_make, &photo.exif.camera_model]
            .into_iter()
            .flatten()
        {
            assert!(text::request_string_problem(text).is_none(), "{text:?}");
            assert!(text.chars().count() <= 100);
        }
    }
}

/// A `cursor` query parameter: refused, or a cursor that encodes back to itself.
pub fn cursor(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cursor) = Cursor::decode(text) {
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor.clone()));
        assert!(text::request_string_problem(&cursor.id).is_none());
    }
}

/// A credit code as typed: an accepted one is 18 characters whose last is the check character
/// of the first 17.
pub fn credit_code(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let code = credit_code::normalize(text);
    if credit_code::check(&code).is_ok() {
        assert_eq!(code.chars().count(), 18);
        let (body, check) = code.split_at(17);
        assert_eq!(credit_code::check_character(body), check.chars().next());
    }
}

/// A region CSV for `admin import-regions`: refused, or rows whose codes are GB/T 2260 digits
/// and whose names are plain text, parents before children.
pub fn region_csv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = catalog::parse_regions_csv(text) {
        for row in &rows {
            assert!([2, 4, 6, 9, 12].contains(&row.code.len()));
            assert!(row.code.bytes().all(|b| b.is_ascii_digit()));
            assert!(text::name_error("name", &row.name).is_none());
        }
        assert!(rows.windows(2).all(|w| w[0].code.len() <= w[1].code.len()));
    }
}

/// A JSON body: refused, or a document none of whose strings breaks the request text rule.
pub fn request_json(data: &[u8]) {
    if let Ok(document) = extract::parse::<serde_json::Value>(data) {
        let mut strings = vec![&document];
        while let Some(value) = strings.pop() {
            match value {
                serde_json::Value::String(s) => {
                    assert!(text::request_string_problem(s).is_none())
                }
                serde_json::Value::Array(items) => {
                    assert!(items.len() <= text::MAX_LIST_ENTRIES);
                    strings.extend(items);
                }
                serde_json::Value::Object(fields) => {
                    for (name, item) in fields {
                        assert!(text::request_string_problem(name).is_none());
                        strings.push(item);
                    }
                }
                _ => {}
            }
        }
    }
}

/// A check: panics when what must hold does not.
pub type Check = fn(&[u8]);

/// Every check by the name its fuzz target has.
pub const CHECKS: [(&str, Check); 5] = [
    ("photo_inspection", photo_inspection),
    ("cursor", cursor),
    ("credit_code", credit_code),
    ("region_csv", region_csv),
    ("request_json", request_json),
];

#[cfg(test)]
mod smoke {
    //! Each check over the committed seeds of `fuzz/seeds/<name>/` and a few thousand
    //! deterministic mutations of them (bit flips, cut-offs, repeated slices): a short smoke of
    //! what the fuzzers explore for minutes.

    use super::CHECKS;

    fn seeds(name: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds")
            .join(name);
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{} has no seeds", dir.display());
        seeds
    }

    /// xorshift64*: the same mutations on every run, so a failure repeats.
    struct Mutations(u64);

    impl Mutations {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
            let mut bytes = seed.to_vec();
            if bytes.is_empty() {
                return vec![(self.next() & 0xFF) as u8];
            }
            for _ in 0..1 + self.next() % 4 {
                let at = (self.next() % bytes.len() as u64) as usize;
                match self.next() % 4 {
                    0 => bytes[at] ^= 1 << (self.next() % 8),
                    1 => bytes[at] = (self.next() & 0xFF) as u8,
                    2 => bytes.truncate(at.max(1)),
                    _ => {
                        let end = (at + 1 + (self.next() % 16) as usize).min(bytes.len());
                        let slice = bytes[at..end].to_vec();
                        bytes.splice(at..at, slice);
                    }
                }
            }
            bytes
        }
    }

    #[test]
    fn every_check_holds_over_seeds_and_mutations() {
        for (name, check) in CHECKS {
            let seeds = seeds(name);
            let rounds = if name == "photo_inspection" {
                300
            } else {
                3000
            };
            let mut mutations = Mutations(0x9E37_79B9_7F4A_7C15);
            for seed in &seeds {
                check(seed);
            }
            for i in 0..rounds {
                let input = mutations.mutate(&seeds[i % seeds.len()]);
                check(&input);
            }
        }
    }
}
