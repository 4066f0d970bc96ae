//! `GET /console/hazards/{id}`: one hazard as the person who must act on it sees it: the facts,
//! the photos before and after side by side with their EXIF time and place, the record, and
//! the forms for exactly the actions the loop allows this visitor now.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use super::work_queue::{DoneQuery, days_late};
use super::{Frame, PageError, Visitor, html, local_date, local_time, messages};
use crate::AppState;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::evidence::model::{self as photo_model, PhotoRow};
use crate::hazard::events::{self, EventRow};
use crate::hazard::model::{self, HazardRow};
use crate::hazard::supervision::{self, ExtensionFilter, ExtensionRow, ExtensionStatus};
use crate::hazard::transitions;
use crate::hazard::workflow::{self, Action, Status};
use crate::registry::enterprise;

/// A photo with what it says about itself.
pub struct PhotoCard {
    pub id: String,
    pub taken: String,
    pub place: String,
    pub declared: String,
}

pub struct EventLine {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub to_status: &'static str,
    pub note: String,
}

pub struct PendingExtension {
    pub id: String,
    pub until: String,
    pub reason: String,
    pub asked_at: String,
}

/// The forms of the actions open to the visitor: the `loop_actions_partial.html` fragment,
/// also what htmx swaps in after an action.
pub struct LoopActions {
    pub hazard_id: String,
    pub version: i64,
    pub csrf_token: String,
    pub status: &'static str,
    pub notice: Option<&'static str>,
    pub problem: Option<String>,
    pub can_rectify: bool,
    pub can_verify: bool,
    pub can_approve: bool,
    pub can_reject: bool,
    pub can_cancel: bool,
    pub can_request_extension: bool,
    pub pending_extension: Option<PendingExtension>,
    pub can_decide_extension: bool,
    pub can_list: bool,
    pub listed_level: Option<&'static str>,
    /// The listing's level code (`county`, `city`, `province`), to preselect it.
    pub listed_code: String,
    pub earliest_extension: String,
    pub latest_extension: String,
}

#[derive(Template)]
#[template(path = "console/hazard.html")]
struct HazardPage {
    frame: Frame,
    description: String,
    level: &'static str,
    major: bool,
    status: &'static str,
    overdue_days: i64,
    enterprise: String,
    address: String,
    location: String,
    deadline: String,
    responsible_person: String,
    measures: String,
    legal_basis: String,
    reported_at: String,
    before: Vec<PhotoCard>,
    /// The latest rectification's photos; `earlier_rounds` those of proof sent back before.
    after: Vec<PhotoCard>,
    earlier_rounds: Vec<PhotoCard>,
    recheck: Vec<PhotoCard>,
    recheck_note: Option<String>,
    returned_because: Option<String>,
    events: Vec<EventLine>,
    actions: LoopActions,
}

#[derive(Template)]
#[template(path = "console/loop_actions_partial.html")]
pub struct LoopActionsPartial {
    pub actions: LoopActions,
}

/// Everything the page reads, in one trip to the database.
pub struct Loaded {
    pub hazard: HazardRow,
    pub enterprise_name: String,
    pub enterprise_address: String,
    pub photos: Vec<PhotoRow>,
    pub events: Vec<EventRow>,
    pub names: HashMap<String, String>,
    pub pending: Option<ExtensionRow>,
    pub allowed: Vec<Action>,
}

pub fn load(
    conn: &mut DbConnection,
    visitor: &Visitor,
    hazard_id: &str,
) -> Result<Loaded, ApiError> {
    let scope = Scope::of(&visitor.caller);
    let hazard = model::find_in_scope(conn, &scope, hazard_id)?;
    let company = enterprise::find_in_scope(conn, &Scope::All, &hazard.enterprise_id)?;
    let photos = photo_model::of_hazard(conn, hazard_id)?;
    let events = events::list(conn, hazard_id)?;
    let mut actors: Vec<&str> = events.iter().map(|e| e.actor_id.as_str()).collect();
    actors.dedup();
    let names = users::table
        .filter(users::id.eq_any(&actors))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let pending = supervision::list_extensions(
        conn,
        &scope,
        &ExtensionFilter {
            status: Some(ExtensionStatus::Pending),
            hazard_id: Some(hazard_id.to_owned()),
            enterprise_id: None,
            after: None,
            limit: 1,
        },
    )?
    .into_iter()
    .next();
    let status = Status::parse(&hazard.status).expect("statuses are checked by the database");
    let actor = transitions::actor_for(conn, &visitor.caller, &hazard)?;
    Ok(Loaded {
        allowed: workflow::allowed(status, actor),
        enterprise_name: company.name,
        enterprise_address: company.address,
        hazard,
        photos,
        events,
        names,
        pending,
    })
}

fn position(latitude: Option<f64>, longitude: Option<f64>) -> Option<String> {
    latitude
        .zip(longitude)
        .map(|(lat, lon)| format!("北纬 {lat:.5}，东经 {lon:.5}"))
}

fn card(photo: &PhotoRow) -> PhotoCard {
    let declared = [
        photo.declared_captured_at.map(local_time),
        position(photo.declared_latitude, photo.declared_longitude),
    ];
    let declared: Vec<String> = declared.into_iter().flatten().collect();
    PhotoCard {
        id: photo.id.clone(),
        taken: photo
            .exif_captured_at
            .map_or("照片里没有记录拍摄时间".into(), |t| {
                format!("拍摄于 {}（照片自带）", local_time(t))
            }),
        place: position(photo.exif_latitude, photo.exif_longitude)
            .map_or("照片里没有记录拍摄位置".into(), |p| {
                format!("{p}（照片自带）")
            }),
        declared: if declared.is_empty() {
            String::new()
        } else {
            format!("手机申报：{}", declared.join("，"))
        },
    }
}

/// The action panel for what `loaded` allows `visitor`.
pub fn actions(visitor: &Visitor, loaded: &Loaded, extension_max_days: i64) -> LoopActions {
    let hazard = &loaded.hazard;
    let can = |action| loaded.allowed.contains(&action);
    let unresolved = matches!(hazard.status.as_str(), "open" | "submitted" | "verified");
    let supervisor = visitor.role() == Role::Supervisor;
    let own = visitor.caller.enterprise_id.as_deref() == Some(hazard.enterprise_id.as_str());
    LoopActions {
        hazard_id: hazard.id.clone(),
        version: hazard.version,
        csrf_token: visitor.csrf_token.clone(),
        status: messages::status_name(&hazard.status),
        notice: None,
        problem: None,
        can_rectify: can(Action::SubmitRectification),
        can_verify: can(Action::VerifyPass),
        can_approve: can(Action::ApproveClosure),
        can_reject: can(Action::RejectClosure),
        can_cancel: can(Action::Cancel),
        can_request_extension: visitor.role() == Role::Enterprise
            && own
            && hazard.status == "open"
            && loaded.pending.is_none(),
        pending_extension: loaded.pending.as_ref().map(|e| PendingExtension {
            id: e.id.clone(),
            until: local_date(e.requested_deadline),
            reason: e.reason.clone(),
            asked_at: local_time(e.requested_at),
        }),
        can_decide_extension: supervisor && loaded.pending.is_some(),
        can_list: supervisor && unresolved,
        listed_level: hazard
            .listed_level
            .as_deref()
            .map(messages::listed_level_name),
        listed_code: hazard.listed_level.clone().unwrap_or_default(),
        earliest_extension: local_date(hazard.deadline + chrono::Duration::days(1)),
        latest_extension: local_date(hazard.deadline + chrono::Duration::days(extension_max_days)),
    }
}

/// Whether a `set_listing` event's detail lifted the listing (`"level": null`).
fn lifted(detail: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(detail).is_ok_and(|d| d["level"].is_null())
}

fn event_line(event: &EventRow, names: &HashMap<String, String>) -> EventLine {
    let action = match Action::parse(&event.action) {
        Some(action) => action.name_zh(),
        None => match event.action.as_str() {
            "report" => "发现隐患",
            "request_extension" => "申请延期",
            "approve_extension" => "批准延期",
            "deny_extension" => "驳回延期",
            "set_listing" if event.detail.as_deref().is_some_and(lifted) => "取消挂牌督办",
            "set_listing" => "挂牌督办",
            "auto_listing" => "逾期重大隐患列入督办",
            "document_issued" => "出具文书",
            _ => "记录",
        },
    };
    EventLine {
        at: local_time(event.at),
        actor: format!(
            "{}（{}）",
            names.get(&event.actor_id).map_or("系统", String::as_str),
            crate::auth::Role::parse(&event.actor_role).map_or("系统", messages::role_name)
        ),
        action,
        to_status: messages::status_name(&event.to_status),
        note: event.note.clone().unwrap_or_default(),
    }
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner().to_string();
    let reader = visitor.clone();
    let loaded = db::run(&state.pool, move |conn| load(conn, &reader, &id)).await?;
    let now = db::now();
    // The latest proof beside the hazard's photos; earlier rounds (sent back) below, apart.
    let latest_proof: Vec<String> = loaded
        .events
        .iter()
        .rev()
        .find(|e| e.action == "submit_rectification")
        .map(|e| events::photo_list(&e.photo_ids))
        .unwrap_or_default();
    let rectification_rounds: (Vec<PhotoCard>, Vec<PhotoCard>) = {
        let (latest, earlier): (Vec<&PhotoRow>, Vec<&PhotoRow>) = loaded
            .photos
            .iter()
            .filter(|p| p.purpose == "rectification")
            .partition(|p| latest_proof.contains(&p.id));
        (
            latest.into_iter().map(card).collect(),
            earlier.into_iter().map(card).collect(),
        )
    };
    let by_purpose = |purposes: &[&str]| -> Vec<PhotoCard> {
        loaded
            .photos
            .iter()
            .filter(|p| purposes.contains(&p.purpose.as_str()))
            .map(card)
            .collect()
    };
    // The last word of the loop on this hazard: why it came back (复查不通过, 驳回销号) while it
    // is open again, or the re-check that passed while it waits for or has its closure.
    let last = loaded.events.iter().rev().find(|e| {
        matches!(
            e.action.as_str(),
            "verify_pass" | "verify_fail" | "reject_closure" | "submit_rectification"
        )
    });
    let returned_because = last
        .filter(|e| loaded.hazard.status == "open" && e.action != "verify_pass")
        .filter(|e| e.action != "submit_rectification")
        .map(|e| {
            let who = if e.action == "reject_closure" {
                "驳回销号"
            } else {
                "复查不通过"
            };
            format!("{who}：{}", e.note.clone().unwrap_or_default())
        });
    let recheck_note = last
        .filter(|e| e.action == "verify_pass")
        .filter(|_| matches!(loaded.hazard.status.as_str(), "verified" | "closed"))
        .and_then(|e| e.note.clone());
    let hazard = &loaded.hazard;
    let page = HazardPage {
        frame: Frame::new(&visitor, "", query.done.as_deref()),
        description: hazard.description.clone(),
        level: messages::level_name(&hazard.level),
        major: hazard.level == "major",
        status: messages::status_name(&hazard.status),
        overdue_days: if hazard.is_overdue(now) {
            days_late(hazard.deadline, now)
        } else {
            0
        },
        enterprise: loaded.enterprise_name.clone(),
        address: loaded.enterprise_address.clone(),
        location: hazard.location.clone().unwrap_or_default(),
        deadline: local_date(hazard.deadline),
        responsible_person: hazard.responsible_person.clone(),
        measures: hazard.measures.clone(),
        legal_basis: hazard.legal_basis.clone().unwrap_or_default(),
        reported_at: local_time(hazard.created_at),
        before: by_purpose(&["hazard", "site"]),
        after: rectification_rounds.0,
        earlier_rounds: rectification_rounds.1,
        recheck: by_purpose(&["verification"]),
        recheck_note,
        returned_because,
        events: loaded
            .events
            .iter()
            .map(|e| event_line(e, &loaded.names))
            .collect(),
        actions: actions(&visitor, &loaded, state.config.extension_max_days),
    };
    Ok(html(StatusCode::OK, page.render()))
}
