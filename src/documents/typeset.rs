//! Typesetting with Typst as a library: a template, the record as `/data.json`, the QR code
//! as `/qr.svg`, the fonts, and nothing else (no clock, no network, no files outside). The
//! PDF is PDF/A-2b, dated with the record's own time, so the same record gives the same bytes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use typst::diag::{FileError, FileResult, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::fonts::Fonts;

/// Everything one document is made from.
pub struct Sheet {
    /// The kind's template (`main`) and the files it may import (`common.typ`, …), by name.
    pub templates: Vec<(String, String)>,
    pub main: String,
    /// The record, as the templates read it from `/data.json`.
    pub data: Vec<u8>,
    pub qr_svg: String,
    /// The record's own time, as the document's date.
    pub date: chrono::NaiveDateTime,
    /// The document's lasting identity (its verification code): the PDF's `/ID`.
    pub ident: String,
    pub fonts: Arc<Fonts>,
}

/// A fixed path: Typst interns file ids for the life of the process, so no path may be new
/// per request.
fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a plain path"),
    )
    .intern()
}

struct SheetWorld {
    library: LazyHash<Library>,
    fonts: Arc<Fonts>,
    main: Source,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl World for SheetWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        self.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(source) = self.sources.get(&id) {
            return Ok(Bytes::from_string(source.clone()));
        }
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(PathBuf::from(id.vpath().get_with_slash()))
}

fn datetime(at: chrono::NaiveDateTime) -> Datetime {
    use chrono::{Datelike, Timelike};
    Datetime::from_ymd_hms(
        at.year(),
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    )
    .expect("a valid date")
}

/// Sets the sheet; `Err` carries Typst's messages (a template that does not compile).
pub fn typeset(sheet: Sheet) -> Result<Vec<u8>, String> {
    let main_id = file_id("/main.typ");
    let sources = sheet
        .templates
        .into_iter()
        .filter(|(name, _)| name.ends_with(".typ"))
        .map(|(name, text)| {
            let id = file_id(&format!("/{name}"));
            (id, Source::new(id, text))
        })
        .collect();
    let world = SheetWorld {
        library: LazyHash::new(Library::builder().build()),
        fonts: sheet.fonts,
        main: Source::new(main_id, sheet.main),
        sources,
        files: HashMap::from([
            (file_id("/data.json"), Bytes::new(sheet.data)),
            (file_id("/qr.svg"), Bytes::new(sheet.qr_svg.into_bytes())),
        ]),
        today: datetime(sheet.date),
    };
    let Warned { output, .. } = typst::compile::<PagedDocument>(&world);
    let document = output.map_err(|errors| describe(&errors))?;
    let options = PdfOptions {
        ident: Smart::Custom(sheet.ident.clone()),
        creator: Smart::Custom(Some("safeloop".into())),
        timestamp: Some(Timestamp::new_utc(datetime(sheet.date))),
        page_ranges: None,
        standards: PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| e.message().to_string())?,
        tagged: true,
        pretty: false,
    };
    let pdf = typst_pdf::pdf(&document, &options).map_err(|errors| describe(&errors))?;
    // Typst memoises across compiles; keep what recent documents share, drop the rest.
    typst::comemo::evict(10);
    Ok(pdf)
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| {
            let file = e
                .span
                .id()
                .map(|id| id.vpath().get_with_slash().to_string())
                .unwrap_or_default();
            format!("{file}: {}", e.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
