//! The console: the loop in a browser, in Chinese, for supervisors at a desk, inspectors and
//! enterprises on a phone. Server-rendered pages (askama, `templates/console/`) whose forms work
//! without JavaScript; htmx, served from the binary like every other asset, only spares a
//! reload. Each handler reads and acts through the same domain functions as the API, so scope
//! and the loop's table apply unchanged; routes are in `routes::console`.

pub mod admin_pages;
pub mod assets;
pub mod charts;
pub mod extension_pages;
pub mod form;
pub mod hazard_page;
pub mod list_pages;
pub mod loop_actions;
pub mod map_page;
pub mod messages;
pub mod page_error;
pub mod photos;
pub mod rectification;
pub mod session;
pub mod sign_in_page;
pub mod stats_page;
pub mod visitor;
pub mod work_queue;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

pub use page_error::PageError;
pub use visitor::Visitor;

use crate::auth::Role;

/// The console's content security policy: scripts and styles only from this server, no inline
/// script, never framed. `img-src` widens to the map's tile server when one is configured.
pub fn content_policy(tiles: Option<&str>) -> String {
    let tile_origin = tiles
        .and_then(origin_of)
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tile_origin}; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
}

/// `https://tiles.example:8443` of a URL template.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    // `{s}` subdomains: allow the parent domain's subdomains.
    let host = host.replace("{s}", "*");
    Some(format!("{scheme}://{host}"))
}

/// A rendered page, or the fault that kept it from rendering.
pub fn html(status: StatusCode, rendered: Result<String, askama::Error>) -> HttpResponse {
    match rendered {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "a console template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("页面生成失败，请联系管理员。")
        }
    }
}

/// After a form: see the result at `to` (303, so a reload does not post again).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// One entry of the navigation bar.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page around its content shows: who is signed in, where they can go, and the
/// token their forms carry.
pub struct Frame {
    pub display_name: String,
    pub role_name: &'static str,
    pub csrf_token: String,
    pub nav: Vec<NavLink>,
    /// What the last action did (`?done=`), shown once at the top.
    pub notice: Option<&'static str>,
}

fn links_for(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Supervisor => &[
            ("/console/", "待办"),
            ("/console/hazards", "隐患"),
            ("/console/extensions", "延期申请"),
            ("/console/listed", "挂牌督办"),
            ("/console/stats", "统计"),
            ("/console/map", "风险隐患图"),
        ],
        Role::Inspector => &[
            ("/console/", "待复查"),
            ("/console/hazards", "隐患"),
            ("/console/inspections", "检查"),
            ("/console/stats", "统计"),
            ("/console/map", "风险隐患图"),
        ],
        Role::Enterprise => &[
            ("/console/", "我的隐患"),
            ("/console/extensions", "延期申请"),
        ],
        Role::Admin => &[
            ("/console/admin/users", "用户"),
            ("/console/admin/enterprises", "企业"),
            ("/console/admin/checklists", "检查表"),
            ("/console/admin/webhooks", "推送地址"),
            ("/console/hazards", "隐患"),
            ("/console/stats", "统计"),
            ("/console/map", "风险隐患图"),
        ],
    }
}

/// What a `?done=` after a redirect says.
pub fn notice_for(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "submit_rectification" => "已提交整改，等待复查。",
        "verify_pass" => "已复查通过，等待销号。",
        "verify_fail" => "已复查不通过，退回企业整改。",
        "approve_closure" => "已批准销号。",
        "reject_closure" => "已驳回销号，退回整改。",
        "cancel" => "已撤销隐患。",
        "extension_requested" => "已申请延期，等待审批。",
        "extension_approved" => "已批准延期。",
        "extension_denied" => "已驳回延期。",
        "listed" => "已挂牌督办。",
        "unlisted" => "已取消挂牌督办。",
        "saved" => "已保存。",
        _ => return None,
    })
}

impl Frame {
    pub fn new(visitor: &Visitor, path: &str, done: Option<&str>) -> Frame {
        Frame {
            display_name: visitor.display_name.clone(),
            role_name: messages::role_name(visitor.role()),
            csrf_token: visitor.csrf_token.clone(),
            nav: links_for(visitor.role())
                .iter()
                .map(|&(href, label)| NavLink {
                    href,
                    label,
                    current: href == path,
                })
                .collect(),
            notice: notice_for(done),
        }
    }
}

/// China Standard Time, minutes: how the console shows a moment.
pub fn local_time(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&crate::calendar::offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// China Standard Time, the day only.
pub fn local_date(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&crate::calendar::offset())
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_admits_only_the_tile_server() {
        let none = content_policy(None);
        assert!(none.contains("script-src 'self';") && none.contains("frame-ancestors 'none'"));
        assert!(!none.contains("unsafe-inline"));
        let tiles = content_policy(Some("https://{s}.tiles.example/{z}/{x}/{y}.png"));
        assert!(tiles.contains("img-src 'self' data: blob: https://*.tiles.example;"));
    }
}
