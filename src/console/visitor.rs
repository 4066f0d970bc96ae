//! `Visitor`: the signed-in person behind a console request, read from the session cookie on
//! every request (so sign-out and deactivation bite at once), with the same role and scope the
//! API's `AuthUser` carries.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::page_error::PageError;
use super::session;
use crate::AppState;
use crate::auth::{AuthUser, Role};
use crate::db;
use crate::registry::user;

/// Who is looking at the console.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The caller as the domain functions take it: the same checks as the API.
    pub caller: AuthUser,
    pub display_name: String,
    /// What every form of this session must send back.
    pub csrf_token: String,
}

impl Visitor {
    pub fn role(&self) -> Role {
        self.caller.role
    }

    /// 403 page unless the visitor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), PageError> {
        self.caller.require(roles).map_err(PageError::from)
    }
}

/// The session token the browser sent, if any.
pub fn token(req: &HttpRequest) -> Option<String> {
    req.cookie(session::COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = token(req);
        // After signing in, a GET comes back here; a form's action cannot be returned to.
        let back_to = match *req.method() {
            actix_web::http::Method::GET => req
                .uri()
                .path_and_query()
                .map_or("/console/", |p| p.as_str())
                .to_owned(),
            _ => "/console/".to_owned(),
        };
        let htmx = req.headers().contains_key("hx-request");
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::internal("AppState missing"))?;
            let sign_in = || PageError::SignIn {
                back_to: back_to.clone(),
                htmx,
            };
            let token = token.ok_or_else(sign_in)?;
            let signed = db::run(&state.pool, move |conn| session::find(conn, &token)).await?;
            let signed = signed.ok_or_else(sign_in)?;
            let user = signed.user;
            let caller = AuthUser {
                id: user.id.parse().map_err(PageError::internal)?,
                role: Role::parse(&user.role).ok_or_else(|| PageError::internal("role"))?,
                enterprise_id: user.enterprise_id.clone(),
                region_prefix: user.region_prefix.clone(),
                sectors: user::sector_list(&user.sectors),
            };
            Ok(Visitor {
                caller,
                display_name: user.display_name,
                csrf_token: signed.csrf_token,
            })
        })
    }
}
