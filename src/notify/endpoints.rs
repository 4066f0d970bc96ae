//! Webhook endpoints: where events go, which ones, from which part of the registry, and the
//! rules an endpoint must meet (a public URL unless on-premise, known event types, a scope no
//! wider than its supervisor's).

use std::net::{IpAddr, ToSocketAddrs};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::outbox::{EVENT_TYPES, LoggedEvent};
use super::signing;
use crate::auth::scope::{Scope, region_range};
use crate::auth::{AuthUser, Role};
use crate::db::schema::webhook_endpoints;
use crate::db::{DbBackend, DbConnection};
use crate::error::{ApiError, FieldError};
use crate::registry::catalog::Sector;

/// How deliveries are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    /// Standard Webhooks 1.0: JSON `{type, timestamp, data}`, signed.
    Standard,
    /// A 企业微信 group robot: Chinese markdown.
    Wecom,
    /// A 钉钉 group robot: Chinese markdown, signed as DingTalk requires.
    Dingtalk,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Standard => "standard",
            EndpointKind::Wecom => "wecom",
            EndpointKind::Dingtalk => "dingtalk",
        }
    }

    pub fn parse(text: &str) -> EndpointKind {
        match text {
            "wecom" => EndpointKind::Wecom,
            "dingtalk" => EndpointKind::Dingtalk,
            _ => EndpointKind::Standard,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints, treat_none_as_null = true)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub kind: String,
    /// Comma-separated event types.
    pub event_types: String,
    pub region_prefix: Option<String>,
    /// Comma-separated sector codes; empty is every sector.
    pub sectors: String,
    pub description: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub created_by: String,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn list_of(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl EndpointRow {
    pub fn kind(&self) -> EndpointKind {
        EndpointKind::parse(&self.kind)
    }

    pub fn event_type_list(&self) -> Vec<String> {
        list_of(&self.event_types)
    }

    pub fn sector_list(&self) -> Vec<String> {
        list_of(&self.sectors)
    }

    /// The secrets that sign now: the current one, and the previous one during its grace.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && until > now
        {
            secrets.push(previous);
        }
        secrets
    }

    /// Whether this endpoint hears of `event`: its type, and its place in the registry
    /// (`sectors` is the catalog, for umbrella sectors).
    pub fn wants(&self, event: &LoggedEvent, sectors: &[Sector]) -> bool {
        if self.disabled_at.is_some()
            || !self
                .event_type_list()
                .iter()
                .any(|t| t == &event.event_type)
        {
            return false;
        }
        let scope = Scope::Area {
            region_prefix: self.region_prefix.clone().unwrap_or_default(),
            sectors: self.sector_list(),
        };
        match (&event.region_code, &event.sector_code) {
            (Some(region), Some(sector)) => {
                scope.covers("", region, sector, parent_of(sectors, sector))
            }
            // Events about no place (a ping) reach every endpoint that asked for them.
            _ => true,
        }
    }
}

/// What a create or a change asks for, checked together.
pub struct Settings<'a> {
    pub url: &'a str,
    pub kind: EndpointKind,
    pub event_types: &'a [String],
    pub region_prefix: Option<&'a str>,
    pub sectors: &'a [String],
    pub secret: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// Every way `settings` break the rules for `caller`; `allow_private` admits loopback and
/// private network targets (on-premise installations).
fn parent_of<'a>(catalog: &'a [Sector], code: &str) -> Option<&'a str> {
    catalog
        .iter()
        .find(|s| s.code == code)
        .and_then(|s| s.parent_code.as_deref())
}

pub fn setting_errors(
    settings: &Settings,
    caller: &AuthUser,
    allow_private: bool,
    sectors: &[Sector],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(why) = target_allowed(settings.url, allow_private) {
        errors.push(FieldError::new("url", why));
    }
    if settings.event_types.is_empty() {
        errors.push(FieldError::new(
            "event_types",
            "name at least one event type",
        ));
    }
    for (i, event_type) in settings.event_types.iter().enumerate() {
        if !EVENT_TYPES.contains(&event_type.as_str()) {
            errors.push(FieldError::new(
                format!("event_types[{i}]"),
                format!("is not one of {}", EVENT_TYPES.join(", ")),
            ));
        }
    }
    if let Some(prefix) = settings.region_prefix {
        let digits = (2..=12).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            errors.push(FieldError::new(
                "region_prefix",
                "must be 2-12 digits of a GB/T 2260 code",
            ));
        }
    }
    if caller.role == Role::Supervisor {
        let own = caller.region_prefix.as_deref().unwrap_or("\u{0}");
        if !settings.region_prefix.is_some_and(|p| p.starts_with(own)) {
            errors.push(FieldError::new(
                "region_prefix",
                format!("must lie inside your own region ({own})"),
            ));
        }
        if !caller.sectors.is_empty() {
            let yours = |code: &String| {
                caller.sectors.contains(code)
                    || parent_of(sectors, code)
                        .is_some_and(|p| caller.sectors.iter().any(|c| c == p))
            };
            let inside = !settings.sectors.is_empty() && settings.sectors.iter().all(yours);
            if !inside {
                errors.push(FieldError::new("sectors", "must be among your own sectors"));
            }
        }
    }
    match (settings.kind, settings.secret) {
        (EndpointKind::Standard, Some(secret)) => {
            if let Err(why) = signing::secret_key(secret) {
                errors.push(FieldError::new("secret", why));
            }
        }
        (EndpointKind::Dingtalk, None) => errors.push(FieldError::new(
            "secret",
            "a DingTalk robot needs its signing secret (SEC…)",
        )),
        (EndpointKind::Dingtalk, Some(secret)) if !(1..=200).contains(&secret.len()) => {
            errors.push(FieldError::new("secret", "must be 1-200 characters"))
        }
        (EndpointKind::Wecom, Some(_)) => errors.push(FieldError::new(
            "secret",
            "a WeCom robot is addressed by the key in its URL and takes no secret",
        )),
        _ => {}
    }
    if settings
        .description
        .is_some_and(|d| d.chars().count() > 500)
    {
        errors.push(FieldError::new(
            "description",
            "must be at most 500 characters",
        ));
    }
    errors
}

/// Whether deliveries may go to `url`: http(s), and unless `allow_private`, a host that
/// resolves only to public addresses (no loopback, private, link-local or shared ranges), so
/// an endpoint cannot reach into the bureau's own network.
pub fn target_allowed(url: &str, allow_private: bool) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("must be an http:// or https:// URL")?;
    if !matches!(scheme, "http" | "https") || url.len() > 2000 {
        return Err("must be an http:// or https:// URL of at most 2000 characters".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err("must name a host (and no credentials)".into());
    }
    if allow_private {
        return Ok(());
    }
    let port = if scheme == "https" { 443 } else { 80 };
    let host = authority.trim_start_matches('[');
    // `host`, `host:port`, `[v6]` or `[v6]:port`.
    let has_port = match authority.strip_prefix('[') {
        Some(v6) => v6.contains("]:"),
        None => authority.contains(':'),
    };
    let target = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:{port}")
    };
    let addresses: Vec<IpAddr> = target
        .to_socket_addrs()
        .map_err(|_| format!("{host} does not resolve"))?
        .map(|a| a.ip())
        .collect();
    if addresses.is_empty() || addresses.iter().any(|ip| !is_public(*ip)) {
        return Err(
            "resolves to a loopback or private address; set SAFELOOP_WEBHOOK_ALLOW_PRIVATE=true for on-premise receivers"
                .into(),
        );
    }
    Ok(())
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0)
        }
        IpAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.segments();
            let v4 = |high: u16, low: u16| {
                std::net::Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
            };
            // IPv4 inside IPv6 is judged by the IPv4 address: mapped (::ffff:a.b.c.d),
            // compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:abcd:efgh::).
            let embedded = match [a, b, c, d, e, f] {
                [0, 0, 0, 0, 0, 0xffff] | [0, 0, 0, 0, 0, 0] => Some(v4(g, h)),
                [0x64, 0xff9b, 0, 0, 0, 0] => Some(v4(g, h)),
                [0x2002, ..] => Some(v4(b, c)),
                _ => None,
            };
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (a & 0xfe00) == 0xfc00
                || (a & 0xffc0) == 0xfe80
                || embedded.is_some_and(|v4| !is_public(IpAddr::V4(v4))))
        }
    }
}

type BoxedQuery<'a> = webhook_endpoints::BoxedQuery<'a, DbBackend>;

/// Endpoints `caller` may manage: all for an admin; a supervisor's inside its region.
pub fn visible<'a>(caller: &AuthUser) -> Result<BoxedQuery<'a>, ApiError> {
    let query = webhook_endpoints::table.into_boxed();
    match caller.role {
        Role::Admin => Ok(query),
        Role::Supervisor => {
            let prefix = caller.region_prefix.clone().unwrap_or_default();
            let (low, high) = region_range(&prefix);
            let query = query.filter(webhook_endpoints::region_prefix.ge(low));
            Ok(match high {
                Some(high) => query.filter(webhook_endpoints::region_prefix.lt(high)),
                None => query,
            })
        }
        _ => Err(ApiError::Forbidden(
            "webhooks are managed by admins and supervisors".into(),
        )),
    }
}

pub fn find(conn: &mut DbConnection, caller: &AuthUser, id: &str) -> Result<EndpointRow, ApiError> {
    let row = visible(caller)?
        .filter(webhook_endpoints::id.eq(id.to_owned()))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("webhook"))?;
    let sectors = crate::registry::catalog::all_sectors(conn)?;
    if manages(caller, &row, &sectors) {
        Ok(row)
    } else {
        Err(ApiError::NotFound("webhook"))
    }
}

/// Endpoints `caller` may manage, in creation order.
pub fn list(conn: &mut DbConnection, caller: &AuthUser) -> Result<Vec<EndpointRow>, ApiError> {
    let rows = visible(caller)?
        .order((webhook_endpoints::created_at, webhook_endpoints::id))
        .select(EndpointRow::as_select())
        .load(conn)?;
    let sectors = crate::registry::catalog::all_sectors(conn)?;
    Ok(rows
        .into_iter()
        .filter(|row| manages(caller, row, &sectors))
        .collect())
}

/// Beyond the region (`visible`, in SQL): a supervisor limited to sectors manages only
/// endpoints limited to some of them, never a colleague's for other sectors.
fn manages(caller: &AuthUser, row: &EndpointRow, sectors: &[Sector]) -> bool {
    if caller.role != Role::Supervisor || caller.sectors.is_empty() {
        return true;
    }
    let theirs = row.sector_list();
    !theirs.is_empty()
        && theirs.iter().all(|code| {
            caller.sectors.contains(code)
                || parent_of(sectors, code).is_some_and(|p| caller.sectors.iter().any(|c| c == p))
        })
}

/// Every enabled endpoint, for the dispatcher.
pub fn enabled(conn: &mut DbConnection) -> Result<Vec<EndpointRow>, ApiError> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::disabled_at.is_null())
        .select(EndpointRow::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/hook",
            "http://192.168.1.1/hook",
            "http://[::1]:9000/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
        ] {
            assert!(target_allowed(url, false).is_err(), "{url}");
            assert!(target_allowed(url, true).is_ok(), "{url}");
        }
        for url in [
            "ftp://example.org/",
            "http://user:pw@example.org/",
            "http:///x",
            "hook",
        ] {
            assert!(target_allowed(url, true).is_err(), "{url}");
        }
        assert!(target_allowed("https://1.1.1.1/hook", false).is_ok());
        assert!(target_allowed("https://[2606:4700:4700::1111]:8443/hook", false).is_ok());
        assert!(target_allowed("https://1.1.1.1:8443/hook", false).is_ok());
    }
}
