//! What text a request may carry. Every string of every JSON body is held to one rule here
//! (`request_string_problem`), names and other one-line fields that end up in ledgers and
//! legal documents to a stricter one (`name_error`), and usernames are folded once
//! (`fold_username`) so `ADMIN`, `admin` and `ａｄｍｉｎ` are one name.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::FieldError;

/// The most entries any list in a request body may have; fields with a tighter bound check it
/// themselves.
pub const MAX_LIST_ENTRIES: usize = 1000;

/// Why a string may not appear anywhere in a request, or `None`.
///
/// NUL is refused because PostgreSQL cannot store it in text (and SQLite would store it and
/// cut it short later); other control characters but tab and line breaks have no place in
/// anything a person typed; bidirectional overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) reorder what a reader sees, so a ledger or a paper would show a name or a
/// note other than the one stored.
pub fn request_string_problem(text: &str) -> Option<&'static str> {
    for c in text.chars() {
        match c {
            '\0' => return Some("must not contain a NUL character (U+0000)"),
            '\t' | '\n' | '\r' => {}
            c if c.is_control() => {
                return Some("must not contain control characters");
            }
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                return Some("must not contain bidirectional override characters");
            }
            _ => {}
        }
    }
    None
}

/// A name, address, person or number printed on a line of a ledger or a document: plain
/// text, so no control characters (line breaks and tabs included) and no invisible format
/// characters (zero-width spaces and joiners, byte order marks, bidirectional marks, soft
/// hyphens) that would make two names that look alike differ, or one look like another.
pub fn name_error(field: &str, value: &str) -> Option<FieldError> {
    let invisible = value.chars().find(|c| {
        c.is_control()
            || matches!(
                c.general_category(),
                GeneralCategory::Format
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
            )
    })?;
    Some(FieldError::new(
        field,
        format!(
            "must be plain text on one line; U+{:04X} is a control or invisible format character",
            invisible as u32
        ),
    ))
}

/// A username as stored: Unicode NFKC, so compatibility forms (full-width letters) become the
/// letters they stand for. Uniqueness and sign-in compare `username_key` of it.
pub fn fold_username(username: &str) -> String {
    username.nfkc().collect()
}

/// What usernames are compared by: the folded form, in lower case.
pub fn username_key(username: &str) -> String {
    fold_username(username).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_strings_refuse_nul_controls_and_overrides() {
        assert_eq!(request_string_problem("配电箱未接地\n第二行\t"), None);
        assert_eq!(request_string_problem("emoji 👩\u{200D}🔧 stays"), None);
        for bad in [
            "a\0b",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "abc\u{202E}gpj.exe",
            "\u{2067}x",
        ] {
            assert!(request_string_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_plain_text_on_one_line() {
        assert!(name_error("name", "赣州市王母渡烟花爆竹有限公司").is_none());
        assert!(name_error("name", "Zhang San-Li (张三)").is_none());
        for bad in [
            "王\u{200B}母渡",
            "\u{FEFF}王母渡",
            "王母渡\u{202E}司公",
            "two\nlines",
            "tab\there",
            "soft\u{AD}hyphen",
            "line\u{2028}separator",
        ] {
            let error = name_error("name", bad).unwrap_or_else(|| panic!("{bad:?} passed"));
            assert_eq!(error.field, "name");
        }
    }

    #[test]
    fn usernames_fold_width_and_case() {
        assert_eq!(fold_username("ａｄｍｉｎ"), "admin");
        assert_eq!(username_key("ADMIN"), "admin");
        assert_eq!(username_key("Ａｄｍｉｎ"), username_key("admin"));
        assert_eq!(fold_username("Li.Wei"), "Li.Wei");
    }
}
