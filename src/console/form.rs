//! Reading a console form, and the two checks every form passes before anything is done: it
//! carries this session's token, and it was posted from this site.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;

use super::PageError;
use crate::error::ApiError;

/// A `application/x-www-form-urlencoded` body as `T`.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|e| {
        PageError::Refused(ApiError::BadRequest {
            code: "malformed_form",
            detail: e.to_string(),
        })
    })
}

/// Whether the browser says the request comes from a page of this site: `Sec-Fetch-Site`
/// where sent, else `Origin` against `Host`. A request with neither (an old browser, a tool)
/// still needs the session's token.
pub fn same_site(req: &HttpRequest) -> bool {
    let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "same-origin" | "none");
    }
    match text(header::ORIGIN) {
        None => true,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&host))
        }
    }
}

/// The form `T` in `body`, once it has passed both checks: nothing of it is read before the
/// token (its `csrf` field) and the site are. `expected` is the session's token.
pub fn verified<T: DeserializeOwned>(
    req: &HttpRequest,
    expected: &str,
    body: &[u8],
) -> Result<T, PageError> {
    #[derive(serde::Deserialize)]
    struct Token {
        #[serde(default)]
        csrf: String,
    }
    let token: Token = parse(body)?;
    check(req, expected, &token.csrf)?;
    parse(body)
}

/// Both checks; `expected` is the session's token, `sent` the form's.
pub fn check(req: &HttpRequest, expected: &str, sent: &str) -> Result<(), PageError> {
    use subtle_compare::equal;
    if same_site(req) && !expected.is_empty() && equal(expected.as_bytes(), sent.as_bytes()) {
        Ok(())
    } else {
        Err(PageError::ForgedForm)
    }
}

mod subtle_compare {
    /// Compares without stopping at the first difference.
    pub fn equal(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn forms_from_elsewhere_are_refused() {
        let token = "a".repeat(64);
        let ours = TestRequest::post()
            .insert_header(("Host", "console.example"))
            .insert_header(("Origin", "https://console.example"))
            .to_http_request();
        assert!(check(&ours, &token, &token).is_ok());
        assert!(
            check(&ours, &token, &"b".repeat(64)).is_err(),
            "wrong token"
        );
        assert!(check(&ours, &token, "").is_err(), "no token");
        let theirs = TestRequest::post()
            .insert_header(("Host", "console.example"))
            .insert_header(("Origin", "https://evil.example"))
            .to_http_request();
        assert!(check(&theirs, &token, &token).is_err(), "other origin");
        let fetched = TestRequest::post()
            .insert_header(("Sec-Fetch-Site", "cross-site"))
            .to_http_request();
        assert!(check(&fetched, &token, &token).is_err(), "cross-site fetch");
    }

    #[test]
    fn a_form_is_read_only_once_it_passed_its_checks() {
        #[derive(serde::Deserialize)]
        struct Note {
            note: String,
        }
        let token = "c".repeat(64);
        let req = TestRequest::post().to_http_request();
        let body = format!("csrf={token}&note=%E5%B7%B2%E6%95%B4%E6%94%B9");
        let read: Note = verified(&req, &token, body.as_bytes()).unwrap();
        assert_eq!(read.note, "已整改");
        let forged = verified::<Note>(&req, &token, b"csrf=guess&note=x");
        assert!(matches!(forged, Err(PageError::ForgedForm)));
        let missing = verified::<Note>(&req, &token, b"note=x");
        assert!(matches!(missing, Err(PageError::ForgedForm)));
    }
}
