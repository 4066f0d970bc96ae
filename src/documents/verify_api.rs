//! `GET /verify/{code}`: anyone holding a paper checks it, without signing in. The answer
//! names the document and the SHA-256 of the PDF as issued, nothing more: a page for people
//! (browsers ask for `text/html`), JSON for `Accept: application/json` and everything else.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::issue::{self, DocumentRow};
use super::kind::DocumentKind;
use crate::AppState;
use crate::db;
use crate::error::{ApiError, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub code: String,
    pub kind: DocumentKind,
    /// The statutory title, e.g. 责令限期整改指令书.
    pub title: String,
    /// 文书编号, where the paper has one.
    pub number: Option<String>,
    pub issuing_body: String,
    /// The date on the paper (China Standard Time), e.g. 2026年12月1日.
    pub issued_on: String,
    pub enterprise_name: String,
    /// The SHA-256 of the PDF as issued (hex): the paper's file must hash to it.
    pub sha256: String,
}

impl From<DocumentRow> for Verification {
    fn from(row: DocumentRow) -> Self {
        let kind = DocumentKind::parse(&row.kind).expect("documents are stored with a known kind");
        Verification {
            code: issue::grouped(&row.code),
            kind,
            title: kind.title().to_owned(),
            number: row.number,
            issuing_body: row.issuing_body,
            issued_on: row.issued_on,
            enterprise_name: row.enterprise_name,
            sha256: row.sha256,
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "Accept"))
        .body(format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title></head><body><main>{body}</main></body></html>",
            escape(title)
        ))
}

/// A browser asks for HTML; everything else (`application/json`, `*/*`) gets JSON.
fn wants_json(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") || !accept.contains("text/html")
}

/// Checks a document by the code printed on it (and in its QR code).
#[utoipa::path(
    tag = "documents",
    params(("code" = String, Path, description = "the verification code, with or without dashes")),
    responses(
        (status = 200, description = "the document as issued: a page for browsers (`Accept: text/html`), JSON otherwise", content(
            (Verification = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "no document has this code", content(
            (Problem = "application/problem+json"),
            (String = "text/html"),
        )),
    ),
)]
#[get("/verify/{code}")]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = match issue::normalise(&code.into_inner()) {
        Some(code) => db::run(&state.pool, move |conn| issue::find_by_code(conn, &code)).await?,
        None => None,
    };
    let Some(row) = found else {
        if wants_json(&req) {
            return Err(ApiError::NotFound("document"));
        }
        let mut response = page(
            "文书核验",
            "<h1>文书核验</h1><p>没有找到这个核验码对应的文书。请核对文书上的核验码；\
             核验码不符的文书不是本系统出具的。</p>",
        );
        *response.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
        return Ok(response);
    };
    let found = Verification::from(row);
    if wants_json(&req) {
        return Ok(HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(found));
    }
    let number = found.number.as_deref().unwrap_or("—");
    let body = format!(
        "<h1>文书核验</h1><p>本系统出具过核验码为 <strong>{code}</strong> 的文书：</p><dl>\
         <dt>文书种类</dt><dd>{title}</dd><dt>文书编号</dt><dd>{number}</dd>\
         <dt>出具机关</dt><dd>{body}</dd><dt>日期</dt><dd>{date}</dd>\
         <dt>当事单位</dt><dd>{party}</dd><dt>PDF 文件的 SHA-256</dt><dd><code>{sha}</code></dd></dl>\
         <p>纸质文书请与上述内容逐项核对。电子文件请计算其 SHA-256（如 <code>sha256sum 文件名.pdf</code>），\
         与上面的值完全一致才是原件；任何改动都会使它不同。</p>",
        code = escape(&found.code),
        title = escape(&found.title),
        number = escape(number),
        body = escape(&found.issuing_body),
        date = escape(&found.issued_on),
        party = escape(&found.enterprise_name),
        sha = escape(&found.sha256),
    );
    Ok(page(&format!("文书核验 {}", found.code), &body))
}
