//! `GET /console/extensions`: for a supervisor, the requests awaiting 批准延期 or 驳回延期; for
//! an enterprise, its own requests and how they were decided.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use super::list_pages::enterprise_names;
use super::work_queue::DoneQuery;
use super::{Frame, PageError, Visitor, html, local_date, local_time};
use crate::AppState;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::db;
use crate::db::schema::hazards;
use crate::hazard::model::HazardRow;
use crate::hazard::supervision::{self, ExtensionFilter, ExtensionStatus};

pub struct ExtensionLine {
    pub id: String,
    pub hazard_id: String,
    pub description: String,
    pub enterprise: String,
    pub deadline: String,
    pub until: String,
    pub reason: String,
    pub asked_at: String,
    pub decision: &'static str,
    pub decision_note: String,
}

#[derive(Template)]
#[template(path = "console/extensions.html")]
struct ExtensionsPage {
    frame: Frame,
    deciding: bool,
    lines: Vec<ExtensionLine>,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    visitor.require(&[Role::Supervisor, Role::Enterprise, Role::Admin])?;
    let deciding = visitor.role() == Role::Supervisor;
    let scope = Scope::of(&visitor.caller);
    let lines = db::run(&state.pool, move |conn| {
        let filter = ExtensionFilter {
            status: deciding.then_some(ExtensionStatus::Pending),
            hazard_id: None,
            enterprise_id: None,
            after: None,
            limit: 100,
        };
        let requests = supervision::list_extensions(conn, &scope, &filter)?;
        // The requests are in scope already; their hazards and enterprises come in two reads.
        let ids: Vec<&str> = requests.iter().map(|r| r.hazard_id.as_str()).collect();
        let hazards: HashMap<String, HazardRow> = hazards::table
            .filter(hazards::id.eq_any(&ids))
            .select(HazardRow::as_select())
            .load::<HazardRow>(conn)?
            .into_iter()
            .map(|h| (h.id.clone(), h))
            .collect();
        let companies: Vec<&str> = hazards.values().map(|h| h.enterprise_id.as_str()).collect();
        let names = enterprise_names(conn, &companies)?;
        let mut lines = Vec::with_capacity(requests.len());
        for request in requests.into_iter().take(100) {
            let Some(hazard) = hazards.get(&request.hazard_id) else {
                continue;
            };
            lines.push(ExtensionLine {
                decision: match request.status() {
                    ExtensionStatus::Pending => "待审批",
                    ExtensionStatus::Approved => "已批准",
                    ExtensionStatus::Denied => "已驳回",
                },
                id: request.id,
                hazard_id: hazard.id.clone(),
                description: hazard.description.clone(),
                enterprise: names
                    .get(&hazard.enterprise_id)
                    .cloned()
                    .unwrap_or_default(),
                deadline: local_date(hazard.deadline),
                until: local_date(request.requested_deadline),
                reason: request.reason,
                asked_at: local_time(request.requested_at),
                decision_note: request.decision_note.unwrap_or_default(),
            });
        }
        Ok(lines)
    })
    .await?;
    let page = ExtensionsPage {
        frame: Frame::new(&visitor, "/console/extensions", query.done.as_deref()),
        deciding,
        lines,
    };
    Ok(html(StatusCode::OK, page.render()))
}
