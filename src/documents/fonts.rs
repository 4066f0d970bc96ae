//! The fonts documents are set in: Noto Serif CJK SC subset to GB 2312 ships in the binary
//! (`assets/fonts/`, SIL Open Font License), so a fresh machine prints Chinese with no system
//! fonts. A character outside it is looked for in the system's fonts (`SAFELOOP_FONT_DIRS`);
//! where none has it, the document is refused, never printed with a blank box.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

/// The shipped font's bytes.
static SHIPPED: &[u8] = include_bytes!("../../assets/fonts/NotoSerifSC-Regular-GB2312.otf");

/// Fonts for one render, and their book.
pub struct Fonts {
    pub book: LazyHash<FontBook>,
    pub fonts: Vec<Font>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fonts({} faces)", self.fonts.len())
    }
}

impl Fonts {
    fn of(fonts: Vec<Font>) -> Arc<Fonts> {
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        Arc::new(Fonts { book, fonts })
    }
}

fn shipped_fonts() -> &'static Arc<Fonts> {
    static FONTS: LazyLock<Arc<Fonts>> =
        LazyLock::new(|| Fonts::of(Font::iter(Bytes::new(SHIPPED)).collect()));
    &FONTS
}

/// Whether a character needs a glyph (spaces and line breaks do not).
fn needs_glyph(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !typst::text::is_default_ignorable(c)
}

/// A combining mark left over after NFC (no precomposed character exists): the shipped font
/// cannot set it on its base, and PDF/A forbids what cannot be displayed.
fn combining(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    )
}

/// Text as documents print it: composed (NFC), so `e` + U+0301 is `é`.
pub fn composed(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// Where system fonts are looked for, as configured (`SAFELOOP_FONT_DIRS`); set at start.
static SEARCH_DIRS: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

pub fn set_search_dirs(dirs: &[PathBuf]) {
    let _ = SEARCH_DIRS.set(dirs.to_vec());
}

/// 422 unless every field can be printed on a document: checked when a record is made, as
/// records cannot be changed once their papers are due.
pub fn printable(fields: &[(&str, Option<&str>)]) -> Result<(), crate::error::ApiError> {
    let dirs = SEARCH_DIRS.get().cloned().unwrap_or_default();
    let texts: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(field, text)| text.map(|t| ((*field).to_owned(), composed(t))))
        .collect();
    for_texts(texts.iter().map(|(f, t)| (f.clone(), t.as_str())), &dirs)
        .map(|_| ())
        .map_err(|missing| missing.problem())
}

impl Missing {
    /// The 422 that names the field and the character.
    pub fn problem(&self) -> crate::error::ApiError {
        crate::error::ApiError::validation(
            self.field.clone(),
            format!(
                "「{}」(U+{:04X}) cannot be printed on a document: no font this server has shows it \
                 (or it is a combining mark with no composed form); write it with a standard \
                 character, or install a font that has it (SAFELOOP_FONT_DIRS)",
                self.character, self.character as u32
            ),
        )
    }
}

fn covers(font: &Font, c: char) -> bool {
    font.info().coverage.contains(c as u32)
}

/// A character no font can print, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub character: char,
    pub field: String,
}

/// The fonts that print every character of `texts` (field, text): the shipped font, plus
/// system fonts for what it lacks. `Err` names the first character none has.
pub fn for_texts<'a>(
    texts: impl IntoIterator<Item = (String, &'a str)>,
    font_dirs: &[PathBuf],
) -> Result<Arc<Fonts>, Missing> {
    let shipped = shipped_fonts();
    let mut lacking: Vec<(char, String)> = Vec::new();
    for (field, text) in texts {
        for c in text.chars().filter(|c| needs_glyph(*c)) {
            if combining(c) {
                return Err(Missing {
                    character: c,
                    field: field.clone(),
                });
            }
            if !shipped.fonts.iter().any(|f| covers(f, c)) && !lacking.iter().any(|(l, _)| *l == c)
            {
                lacking.push((c, field.clone()));
            }
        }
    }
    if lacking.is_empty() {
        return Ok(shipped.clone());
    }
    let mut extra: Vec<Font> = Vec::new();
    for (c, field) in &lacking {
        if extra.iter().any(|f| covers(f, *c)) {
            continue;
        }
        match system_font_with(*c, font_dirs) {
            Some(font) => extra.push(font),
            None => {
                return Err(Missing {
                    character: *c,
                    field: field.clone(),
                });
            }
        }
    }
    let mut fonts = shipped.fonts.clone();
    fonts.extend(extra);
    Ok(Fonts::of(fonts))
}

/// System font files, found once.
fn system_font_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    /// The directories searched, and the font files found in them.
    type Found = Option<(Vec<PathBuf>, Vec<PathBuf>)>;
    static FOUND: LazyLock<Mutex<Found>> = LazyLock::new(|| Mutex::new(None));
    let mut found = FOUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((searched, files)) = found.as_ref()
        && searched == dirs
    {
        return files.clone();
    }
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, &mut files);
    }
    files.sort();
    *found = Some((dirs.to_vec(), files.clone()));
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Not through symbolic links: a loop would never end.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, files);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "ttf" | "otf" | "ttc" | "otc"
            )
        }) {
            files.push(path);
        }
    }
}

/// The first system font (in file-name order) with a glyph for `c`. What was looked for is
/// remembered, so a character no font has costs one search of the fonts, not one per request.
fn system_font_with(c: char, dirs: &[PathBuf]) -> Option<Font> {
    type Looked = std::collections::HashMap<char, Option<(PathBuf, u32)>>;
    static LOOKED: LazyLock<Mutex<Looked>> = LazyLock::new(|| Mutex::new(Looked::new()));
    let remembered = LOOKED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&c)
        .cloned();
    let found = match remembered {
        Some(found) => found,
        None => {
            let found = system_font_files(dirs).into_iter().find_map(|path| {
                let bytes = std::fs::read(&path).ok()?;
                let index = Font::iter(Bytes::new(bytes)).position(|font| covers(&font, c))?;
                Some((path, index as u32))
            });
            LOOKED
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(c, found.clone());
            found
        }
    };
    let (path, index) = found?;
    Font::new(Bytes::new(std::fs::read(path).ok()?), index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_font_prints_gb2312_and_the_forms_punctuation() {
        let texts = [(
            "title".to_owned(),
            "责令限期整改指令书（赣县）应急责改〔2026〕12号：王母渡镇、沙地镇 ￥5,000.00 № 1",
        )];
        assert!(for_texts(texts.iter().map(|(f, t)| (f.clone(), *t)), &[]).is_ok());
    }

    #[test]
    fn every_region_of_china_prints_with_the_shipped_font() {
        let names: Vec<(String, String)> = crate::registry::catalog::national_regions()
            .iter()
            .map(|r| (r.code.clone(), r.name.clone()))
            .collect();
        let missing = for_texts(names.iter().map(|(c, n)| (c.clone(), n.as_str())), &[]);
        assert!(missing.is_ok(), "{missing:?}");
    }

    #[test]
    fn combining_marks_are_composed_or_refused() {
        assert_eq!(composed("Nguye\u{0302}\u{0303}n"), "Nguyễn");
        let left = composed("公司\u{0301}");
        let missing = for_texts([("summary".to_owned(), left.as_str())], &[]).unwrap_err();
        assert_eq!(missing.character, '\u{0301}');
    }

    #[test]
    fn a_character_no_font_has_is_named() {
        // U+2A6D6 (CJK Extension B) is neither in GB 2312 nor in any font of an empty path.
        let name = "𪛖记五金厂";
        let missing = for_texts([("party.name".to_owned(), name)], &[]).unwrap_err();
        assert_eq!(missing.character, '𪛖');
        assert_eq!(missing.field, "party.name");
    }
}
