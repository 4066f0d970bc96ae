//! `AuthUser`: the verified caller of a request, from its bearer token.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};

use super::Role;
use super::token::TokenRejection;
use crate::AppState;
use crate::error::ApiError;
use crate::ids::UserId;

/// The caller, as the access token describes them: id, role and data scope.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub enterprise_id: Option<String>,
    pub region_prefix: Option<String>,
    pub sectors: Vec<String>,
}

impl AuthUser {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "this needs the role {}; you are {}",
                allowed.join(" or "),
                self.role.as_str()
            )))
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// The token of an `Authorization: Bearer <token>` value; the scheme name is matched without
/// regard to case, as RFC 9110 says (`bearer`, `BEARER`).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState missing"))?;
    let header = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthenticated("send an access token: Authorization: Bearer …")
    })?;
    let token = header.to_str().ok().and_then(bearer_token).ok_or_else(|| {
        ApiError::unauthenticated("the Authorization header must be `Bearer <token>`")
    })?;
    let claims = state
        .tokens
        .verify(token)
        .map_err(|rejection| match rejection {
            TokenRejection::Expired => ApiError::Unauthenticated {
                code: "token_expired",
                detail: rejection.to_string(),
            },
            other => ApiError::unauthenticated(other.to_string()),
        })?;
    let id = claims
        .sub
        .parse()
        .map_err(|_| ApiError::unauthenticated("the access token is invalid"))?;
    Ok(AuthUser {
        id,
        role: claims.role,
        enterprise_id: claims.enterprise_id,
        region_prefix: claims.region_prefix,
        sectors: claims.sectors,
    })
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_ignores_case() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer abc"] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
        for value in ["Basic abc", "Bearer", "Bearer ", "Bearerabc"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
