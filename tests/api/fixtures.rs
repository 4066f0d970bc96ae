//! Ready-made records made through the API, for tests about what comes after them.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::harness::{SignedIn, TestApp};
use safeloop::auth::Role;

/// Two certified inspectors covering `region_prefix`, signed in: an enforcement team.
pub async fn inspector_pair(app: &TestApp, region_prefix: &str) -> (SignedIn, SignedIn) {
    let prefix = region_prefix.to_owned();
    let lead = app
        .signed_in_with(Role::Inspector, |u| u.region_prefix = Some(prefix.clone()))
        .await;
    let prefix = region_prefix.to_owned();
    let partner = app
        .signed_in_with(Role::Inspector, |u| u.region_prefix = Some(prefix))
        .await;
    (lead, partner)
}

/// A checklist for fireworks plants with a general item `YH-1` and a major item `YH-2`.
pub async fn fireworks_checklist(app: &TestApp, admin: &str) -> String {
    let created = app
        .post_as(admin, "/api/v1/checklists", &json!({
            "sector": "fireworks", "name": "烟花爆竹生产企业检查表",
            "items": [
                {"code": "YH-1", "text": "安全警示标志齐全", "legal_basis": "《烟花爆竹安全管理条例》第十条", "major": false},
                {"code": "YH-2", "text": "药物总库超量储存", "legal_basis": "《烟花爆竹生产经营单位重大生产安全事故隐患判定标准》第三条", "major": true},
            ],
        }))
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    created.json()["id"].as_str().unwrap().to_owned()
}

/// A routine inspection of `enterprise_id` by the pair, as a draft.
pub async fn routine_inspection(
    app: &TestApp,
    lead: &SignedIn,
    partner: &SignedIn,
    enterprise_id: &str,
    checklist_id: Option<&str>,
) -> Value {
    let body = json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": enterprise_id, "kind": "routine",
        "officer_ids": [lead.id, partner.id], "started_at": Utc::now() - Duration::hours(1),
        "checklist_id": checklist_id, "summary": "例行检查",
    });
    let created = app
        .post_as(&lead.access, "/api/v1/inspections", &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    created.json()
}

/// A hazard report body for `enterprise_id`, due in a week.
pub fn hazard_body(enterprise_id: &str) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": enterprise_id, "level": "general",
        "description": "成品仓库消防通道堵塞", "location": "3号成品库",
        "deadline": Utc::now() + Duration::days(7), "responsible_person": "王仓管",
        "measures": "清理通道杂物，设置禁止占用标识",
    })
}

/// Reports a hazard as `token`; returns the stored hazard.
pub async fn report(app: &TestApp, token: &str, body: &Value) -> Value {
    let created = app.post_as(token, "/api/v1/hazards", body).await;
    assert_eq!(created.status, 201, "{}", created.json());
    created.json()
}
