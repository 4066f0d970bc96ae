//! The administrator's pages: users (create, deactivate), enterprises (create, with the credit
//! code's check and its recorded override), checklists and webhook endpoints. Every write goes
//! through the function the API's endpoint uses.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::work_queue::DoneQuery;
use super::{Frame, PageError, Visitor, form, html, local_time, messages, see_other};
use crate::AppState;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::db;
use crate::error::ApiError;
use crate::inspection::checklist;
use crate::inspection::checklist_api::{self, ChecklistItem, CreateChecklist};
use crate::notify::endpoints::{self, EndpointKind};
use crate::notify::outbox::{EVENT_TYPES, EventType};
use crate::notify::webhooks_api::{self, CreateWebhook};
use crate::registry::catalog::{self, Sector};
use crate::registry::enterprise::{self, EnterpriseFilter};
use crate::registry::enterprise_api::{CreateEnterprise, RiskLevel};
use crate::registry::enterprise_rules;
use crate::registry::user::{self, UserFilter};
use crate::registry::user_api::{self, CreateUser, UserPatch};

pub struct UserLine {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub scope: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "console/admin_users.html")]
struct UsersPage {
    frame: Frame,
    users: Vec<UserLine>,
}

fn admin(visitor: &Visitor) -> Result<(), PageError> {
    visitor.require(&[Role::Admin])
}

/// `GET /console/admin/users`
pub async fn users(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    admin(&visitor)?;
    let (rows, names) = db::run(&state.pool, |conn| {
        let filter = UserFilter {
            role: None,
            active: None,
            after: None,
            limit: 500,
        };
        let rows = user::list(conn, &filter)?;
        let ids: Vec<&str> = rows
            .iter()
            .filter_map(|u| u.enterprise_id.as_deref())
            .collect();
        let names = super::list_pages::enterprise_names(conn, &ids)?;
        Ok((rows, names))
    })
    .await?;
    let users = rows
        .into_iter()
        .map(|u| UserLine {
            role: Role::parse(&u.role).map_or("", messages::role_name),
            scope: match (&u.enterprise_id, &u.region_prefix) {
                (Some(enterprise), _) => names.get(enterprise).cloned().unwrap_or_default(),
                (None, Some(region)) => format!("区域 {region} {}", u.sectors.replace(',', " ")),
                (None, None) => "全部".into(),
            },
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            active: u.active,
        })
        .collect();
    let page = UsersPage {
        frame: Frame::new(&visitor, "/console/admin/users", query.done.as_deref()),
        users,
    };
    Ok(html(StatusCode::OK, page.render()))
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

#[derive(Deserialize)]
struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    region_prefix: String,
    #[serde(default)]
    sectors: String,
    #[serde(default)]
    certificate_no: String,
}

/// `POST /console/admin/users`
pub async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/admin/users".to_owned();
    async move {
        admin(&visitor)?;
        let sent: NewUserForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let role =
            Role::parse(&sent.role).ok_or_else(|| ApiError::validation("role", "choose a role"))?;
        let sectors: Vec<String> = sent
            .sectors
            .split([',', ' ', '，'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let enterprise = given(&sent.enterprise_id);
        let mut body = CreateUser {
            username: sent.username,
            password: sent.password,
            display_name: sent.display_name,
            role,
            enterprise_id: None,
            region_prefix: given(&sent.region_prefix),
            sectors: (!sectors.is_empty()).then_some(sectors),
            certificate_no: given(&sent.certificate_no),
        };
        let _permit = state.hashing_permit().await;
        db::run(&state.pool, move |conn| {
            body.enterprise_id = enterprise
                .map(|given| enterprise_named_by(conn, &given))
                .transpose()?;
            user_api::register(conn, body)
        })
        .await?;
        Ok(see_other("/console/admin/users?done=saved"))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

/// The enterprise an admin names by its 统一社会信用代码 (or, as the API takes it, its id).
fn enterprise_named_by(
    conn: &mut crate::db::DbConnection,
    given: &str,
) -> Result<String, ApiError> {
    use crate::db::schema::enterprises;
    use diesel::prelude::*;
    if uuid::Uuid::parse_str(given).is_ok() {
        return Ok(given.to_owned());
    }
    let code = crate::registry::credit_code::normalize(given);
    enterprises::table
        .filter(enterprises::credit_code.eq(&code))
        .select(enterprises::id)
        .first::<String>(conn)
        .optional()?
        .ok_or_else(|| ApiError::validation("enterprise_id", "没有登记这个统一社会信用代码的企业"))
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

/// `POST /console/admin/users/{id}/active`: 停用 or 启用; a deactivated user's console sessions
/// and tokens stop at once.
pub async fn set_active(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/admin/users".to_owned();
    async move {
        admin(&visitor)?;
        let sent: ActiveForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let id = id.into_inner().to_string();
        let active = match sent.active.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(ApiError::validation("active", "must be true or false").into()),
        };
        if !active && id == visitor.caller.id.to_string() {
            return Err(ApiError::validation("active", "不能停用自己正在使用的账号").into());
        }
        let patch = UserPatch {
            active: Some(active),
            ..UserPatch::default()
        };
        db::run(&state.pool, move |conn| user_api::change(conn, &id, patch)).await?;
        Ok(see_other("/console/admin/users?done=saved"))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

pub struct EnterpriseLine {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub sector: String,
    pub overridden: bool,
}

#[derive(Template)]
#[template(path = "console/admin_enterprises.html")]
struct EnterprisesPage {
    frame: Frame,
    search: String,
    sectors: Vec<Sector>,
    enterprises: Vec<EnterpriseLine>,
}

#[derive(Deserialize)]
pub struct EnterpriseSearch {
    #[serde(default)]
    q: String,
    done: Option<String>,
}

/// `GET /console/admin/enterprises`
pub async fn enterprises(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<EnterpriseSearch>,
) -> Result<HttpResponse, PageError> {
    admin(&visitor)?;
    let text = given(&query.q);
    let (rows, sectors) = db::run(&state.pool, move |conn| {
        let filter = EnterpriseFilter {
            text,
            limit: 200,
            ..EnterpriseFilter::default()
        };
        Ok((
            enterprise::list(conn, &Scope::All, &filter)?,
            catalog::all_sectors(conn)?,
        ))
    })
    .await?;
    let names: std::collections::HashMap<&str, &str> = sectors
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str()))
        .collect();
    let enterprises = rows
        .into_iter()
        .take(200)
        .map(|e| EnterpriseLine {
            sector: names
                .get(e.sector_code.as_str())
                .map_or(e.sector_code.clone(), |n| (*n).to_owned()),
            overridden: e.credit_code_override_reason.is_some(),
            id: e.id,
            name: e.name,
            credit_code: e.credit_code,
            region_code: e.region_code,
        })
        .collect();
    let page = EnterprisesPage {
        frame: Frame::new(
            &visitor,
            "/console/admin/enterprises",
            query.done.as_deref(),
        ),
        search: query.q.clone(),
        sectors,
        enterprises,
    };
    Ok(html(StatusCode::OK, page.render()))
}

#[derive(Deserialize)]
struct NewEnterpriseForm {
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    credit_code_override_reason: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    risk_level: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    above_scale: Option<String>,
}

fn coordinate(field: &str, text: &str) -> Result<Option<f64>, ApiError> {
    given(text)
        .map(|t| {
            t.parse::<f64>()
                .map_err(|_| ApiError::validation(field.to_owned(), "must be a number"))
        })
        .transpose()
}

/// `POST /console/admin/enterprises`
pub async fn create_enterprise(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/admin/enterprises".to_owned();
    async move {
        admin(&visitor)?;
        let sent: NewEnterpriseForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let risk_level = match sent.risk_level.as_str() {
            "red" => RiskLevel::Red,
            "orange" => RiskLevel::Orange,
            "yellow" => RiskLevel::Yellow,
            "blue" => RiskLevel::Blue,
            _ => {
                return Err(ApiError::validation(
                    "risk_level",
                    "must be red, orange, yellow or blue",
                )
                .into());
            }
        };
        let body = CreateEnterprise {
            id: None,
            credit_code: sent.credit_code,
            credit_code_override_reason: given(&sent.credit_code_override_reason),
            name: sent.name,
            sector: sent.sector,
            region_code: sent.region_code.trim().to_owned(),
            address: sent.address,
            latitude: coordinate("latitude", &sent.latitude)?,
            longitude: coordinate("longitude", &sent.longitude)?,
            risk_level,
            contact_name: sent.contact_name,
            contact_phone: sent.contact_phone,
            above_scale: sent.above_scale.is_some(),
        };
        let caller = visitor.caller.clone();
        db::run(&state.pool, move |conn| {
            enterprise_rules::register(conn, &caller, body)
        })
        .await?;
        Ok(see_other("/console/admin/enterprises?done=saved"))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

pub struct ChecklistLine {
    pub name: String,
    pub sector: String,
    pub items: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "console/admin_checklists.html")]
struct ChecklistsPage {
    frame: Frame,
    sectors: Vec<Sector>,
    checklists: Vec<ChecklistLine>,
}

/// `GET /console/admin/checklists`
pub async fn checklists(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    admin(&visitor)?;
    let (checklists, sectors) = db::run(&state.pool, |conn| {
        let mut lines = Vec::new();
        for row in checklist::list(conn, None)? {
            let items = checklist::items_of(conn, &row.id)?
                .into_iter()
                .map(|i| (i.code, i.text, i.major))
                .collect();
            lines.push(ChecklistLine {
                name: row.name,
                sector: row.sector_code,
                items,
            });
        }
        Ok((lines, catalog::all_sectors(conn)?))
    })
    .await?;
    let page = ChecklistsPage {
        frame: Frame::new(&visitor, "/console/admin/checklists", query.done.as_deref()),
        sectors,
        checklists,
    };
    Ok(html(StatusCode::OK, page.render()))
}

pub struct WebhookLine {
    pub id: String,
    pub url: String,
    pub kind: &'static str,
    pub events: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "console/admin_webhooks.html")]
struct WebhooksPage {
    frame: Frame,
    webhooks: Vec<WebhookLine>,
    event_types: &'static [&'static str],
}

/// `GET /console/admin/webhooks`
pub async fn webhooks(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    admin(&visitor)?;
    let caller = visitor.caller.clone();
    let rows = db::run(&state.pool, move |conn| endpoints::list(conn, &caller)).await?;
    let webhooks = rows
        .into_iter()
        .map(|w| WebhookLine {
            kind: match w.kind.as_str() {
                "wecom" => "企业微信群机器人",
                "dingtalk" => "钉钉群机器人",
                _ => "Webhook",
            },
            events: w.event_types.replace(',', " "),
            state: match (&w.disabled_at, &w.failing_since) {
                (Some(at), _) => format!(
                    "已停用（{}）{}",
                    local_time(*at),
                    w.disabled_reason.as_deref().unwrap_or("")
                ),
                (None, Some(since)) => format!("自 {} 起投递失败", local_time(*since)),
                (None, None) => "正常".into(),
            },
            id: w.id.clone(),
            // A robot's URL carries its credential: masked as the API shows it.
            url: webhooks_api::masked(&w.url),
        })
        .collect();
    let page = WebhooksPage {
        frame: Frame::new(&visitor, "/console/admin/webhooks", query.done.as_deref()),
        webhooks,
        event_types: &EVENT_TYPES,
    };
    Ok(html(StatusCode::OK, page.render()))
}

#[derive(Deserialize)]
struct NewChecklistForm {
    #[serde(default)]
    sector: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    items: String,
}

/// The items as an admin types them, one a line: `编号|检查内容|依据|重大` (the last column `是`
/// for a major-hazard item; `｜` works too).
pub fn parse_items(text: &str) -> Result<Vec<ChecklistItem>, ApiError> {
    text.lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(number, line)| {
            let columns: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
            match columns.as_slice() {
                [code, text, basis] | [code, text, basis, ""] => Ok((code, text, basis, false)),
                [code, text, basis, major] if ["是", "重大", "yes"].contains(major) => {
                    Ok((code, text, basis, true))
                }
                [code, text, basis, major] if ["否", "一般", "no"].contains(major) => {
                    Ok((code, text, basis, false))
                }
                _ => Err(ApiError::validation(
                    "items",
                    format!(
                        "第 {} 行应为：编号|检查内容|依据|是否重大（是/否）",
                        number + 1
                    ),
                )),
            }
            .map(|(code, text, basis, major)| ChecklistItem {
                code: (*code).to_owned(),
                text: (*text).to_owned(),
                legal_basis: (*basis).to_owned(),
                major,
            })
        })
        .collect()
}

/// `POST /console/admin/checklists`
pub async fn create_checklist(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/admin/checklists".to_owned();
    async move {
        admin(&visitor)?;
        let sent: NewChecklistForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let body = CreateChecklist {
            sector: sent.sector,
            name: sent.name,
            items: parse_items(&sent.items)?,
        };
        let caller = visitor.caller.clone();
        db::run(&state.pool, move |conn| {
            checklist_api::register(conn, &caller, body)
        })
        .await?;
        Ok(see_other("/console/admin/checklists?done=saved"))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

#[derive(Template)]
#[template(path = "console/admin_webhook_created.html")]
struct WebhookCreatedPage {
    frame: Frame,
    url: String,
    secret: Option<String>,
}

/// `POST /console/admin/webhooks`: the endpoint, and its signing secret shown this once.
pub async fn create_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/admin/webhooks".to_owned();
    async move {
        admin(&visitor)?;
        let pairs: Vec<(String, String)> = form::verified(&req, &visitor.csrf_token, &body)?;
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let event_types = pairs
            .iter()
            .filter(|(n, _)| n == "event_types")
            .map(|(_, v)| {
                serde_json::from_value::<EventType>(serde_json::Value::String(v.clone())).map_err(
                    |_| ApiError::validation("event_types", format!("`{v}` is not an event type")),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let kind = match field("kind").as_str() {
            "" | "standard" => EndpointKind::Standard,
            "wecom" => EndpointKind::Wecom,
            "dingtalk" => EndpointKind::Dingtalk,
            _ => {
                return Err(
                    ApiError::validation("kind", "must be standard, wecom or dingtalk").into(),
                );
            }
        };
        let sectors = field("sectors")
            .split([',', ' ', '，'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let body = CreateWebhook {
            url: field("url"),
            event_types,
            region_prefix: given(&field("region_prefix")),
            sectors,
            kind: Some(kind),
            secret: given(&field("secret")),
            description: given(&field("description")),
        };
        let caller = visitor.caller.clone();
        let allow_private = state.config.webhook_allow_private;
        let created = db::run(&state.pool, move |conn| {
            webhooks_api::register(conn, &caller, body, allow_private)
        })
        .await?;
        let page = WebhookCreatedPage {
            frame: Frame::new(&visitor, "/console/admin/webhooks", Some("saved")),
            url: webhooks_api::masked(&created.url),
            secret: (created.kind() == EndpointKind::Standard).then_some(created.secret),
        };
        Ok(html(StatusCode::CREATED, page.render()))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

/// `POST /console/admin/webhooks/{id}/delete`
pub async fn delete_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/admin/webhooks".to_owned();
    async move {
        admin(&visitor)?;
        let _: serde::de::IgnoredAny = form::verified(&req, &visitor.csrf_token, &body)?;
        let (caller, id) = (visitor.caller.clone(), id.into_inner().to_string());
        db::run(&state.pool, move |conn| {
            webhooks_api::remove(conn, &caller, &id)
        })
        .await?;
        Ok(see_other("/console/admin/webhooks?done=saved"))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

#[cfg(test)]
mod tests {
    use super::parse_items;

    #[test]
    fn checklist_items_are_read_one_a_line() {
        let items = parse_items(
            "YH-1 | 防爆电器 | 《标准》第三条 | 是\n\nYH-2｜通道畅通｜《规定》第五条\n",
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert!(items[0].major && !items[1].major);
        assert_eq!(
            (items[1].code.as_str(), items[1].legal_basis.as_str()),
            ("YH-2", "《规定》第五条")
        );
        assert!(parse_items("YH-1|只有两列").is_err());
        assert!(parse_items("YH-1|a|b|也许").is_err());
    }
}
