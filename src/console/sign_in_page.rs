//! Signing in and out of the console, with the API's accounts, password check and throttle.
//! The sign-in form has no session yet, so its token is a double-submitted cookie.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::page_error::safe_return_path;
use super::{PageError, Visitor, form, html, messages, see_other, session};
use crate::AppState;
use crate::auth::{api::client_addr, sign_in};
use crate::db;

/// The sign-in form's own token (before there is a session to hold one).
const FORM_COOKIE: &str = "safeloop_sign_in";

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    csrf_token: &'a str,
    next: &'a str,
    username: &'a str,
    problem: Option<String>,
    signed_out: bool,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// Whether cookies must be `Secure`: the request came over TLS (or a proxy says so), or the
/// service's public address is https.
fn over_tls(req: &HttpRequest, state: &AppState) -> bool {
    req.connection_info().scheme() == "https" || state.config.public_url.starts_with("https://")
}

fn cookie<'a>(name: &'a str, value: String, secure: bool) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

fn form_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    page: SignInPage,
) -> HttpResponse {
    let mut response = html(status, page.render());
    let _ = response.add_cookie(&cookie(
        FORM_COOKIE,
        page.csrf_token.to_owned(),
        over_tls(req, state),
    ));
    response
}

/// `GET /console/login`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> HttpResponse {
    let next = safe_return_path(query.next.as_deref().unwrap_or("/console/"));
    let token = session::random_token();
    let page = SignInPage {
        csrf_token: &token,
        next,
        username: "",
        problem: None,
        signed_out: query.signed_out.is_some(),
    };
    form_page(&req, &state, StatusCode::OK, page)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /console/login`
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let expected = req
        .cookie(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let sent: SignInForm = form::verified(&req, &expected, &body)?;
    let client = client_addr(&req, &state);
    let (username, password) = (sent.username.clone(), sent.password);
    let previous = super::visitor::token(&req);
    let opened = {
        let _permit = state.hashing_permit().await;
        db::run(&state.pool, move |conn| {
            let user = sign_in::check_credentials(conn, &username, &password, &client)?;
            // Whoever this browser was signed in as before is signed out.
            if let Some(previous) = previous {
                session::close(conn, &previous)?;
            }
            session::open(conn, &user.id)
        })
        .await
    };
    let next = safe_return_path(&sent.next);
    match opened {
        Ok(token) => {
            let mut response = see_other(next);
            let tls = over_tls(&req, &state);
            let _ = response.add_cookie(&cookie(session::COOKIE, token, tls));
            let mut spent = cookie(FORM_COOKIE, String::new(), tls);
            spent.make_removal();
            let _ = response.add_cookie(&spent);
            Ok(response)
        }
        Err(error) => {
            let status = actix_web::ResponseError::status_code(&error);
            let token = session::random_token();
            let page = SignInPage {
                csrf_token: &token,
                next,
                username: &sent.username,
                problem: Some(messages::explain(&error)),
                signed_out: false,
            };
            Ok(form_page(&req, &state, status, page))
        }
    }
}

/// `POST /console/logout`: the session's row goes, so the cookie is dead wherever it was copied.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let _: serde::de::IgnoredAny = form::verified(&req, &visitor.csrf_token, &body)?;
    if let Some(token) = super::visitor::token(&req) {
        db::run(&state.pool, move |conn| session::close(conn, &token)).await?;
    }
    let mut response = see_other("/console/login?signed_out=1");
    let mut gone = cookie(session::COOKIE, String::new(), over_tls(&req, &state));
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    Ok(response)
}
