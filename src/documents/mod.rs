//! The loop's papers: statutory documents typeset from the record with Typst (templates in
//! `templates/documents/`, a shipped CJK font), issued once and kept byte for byte, each with
//! a verification code and a QR code to the public `/verify/{code}` page.

pub mod api;
pub mod fonts;
pub mod issue;
pub mod kind;
pub mod money;
pub mod record;
pub mod templates;
pub mod typeset;
pub mod verify_api;
