//! The authorisation matrix: every endpoint of the OpenAPI document, every role, and the
//! status each must get. A new endpoint without a row here fails the test.

use std::collections::BTreeSet;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures;
use crate::harness::{PASSWORD, SignedIn, TestApp};
use safeloop::auth::Role;

/// Callers, in the order of the status columns below.
const CALLERS: [Option<Role>; 5] = [
    None,
    Some(Role::Inspector),
    Some(Role::Enterprise),
    Some(Role::Supervisor),
    Some(Role::Admin),
];

/// What `{id}` stands for in a row. "In" targets lie inside every caller's scope (the
/// enterprise caller's own enterprise); "Out" targets lie in another province.
#[derive(Debug, Clone, Copy)]
enum Target {
    NoId,
    User,
    Checklist,
    InEnterprise,
    OutEnterprise,
    InInspection,
    OutInspection,
    InHazard,
    OutHazard,
    InPhoto,
    OutPhoto,
    InExtension,
    OutExtension,
    InAction,
    OutAction,
    /// A direct-upload slot of another user.
    Slot,
    /// A resumable upload of another user.
    Resumable,
    /// Webhook endpoints for the supervisors' prefecture and for another province.
    InWebhook,
    OutWebhook,
    /// A delivery of `InWebhook`: `{id}` and `{delivery_id}`.
    InDelivery,
}

use Target::{
    Checklist, InAction, InDelivery, InEnterprise, InExtension, InHazard, InInspection, InPhoto,
    InWebhook, NoId, OutAction, OutEnterprise, OutExtension, OutHazard, OutInspection, OutPhoto,
    OutWebhook, Resumable, Slot, User,
};

/// (method, path, target, statuses for: anonymous, inspector, enterprise, supervisor, admin).
#[rustfmt::skip]
const MATRIX: &[(&str, &str, Target, [u16; 5])] = &[
    ("GET",   "/healthz",                        NoId,          [200, 200, 200, 200, 200]),
    ("GET",   "/readyz",                         NoId,          [200, 200, 200, 200, 200]),
    ("GET",   "/metrics",                        NoId,          [200, 200, 200, 200, 200]),
    ("POST",  "/api/v1/auth/login",              NoId,          [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/auth/refresh",            NoId,          [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/auth/logout",             NoId,          [204, 204, 204, 204, 204]),
    ("GET",   "/api/v1/me",                      NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/me/tasks",                NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/sync",                    NoId,          [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/sync/write-checkpoint",   NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/sync/pack",               NoId,          [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/me/password",             NoId,          [401, 204, 204, 204, 204]),
    ("POST",  "/api/v1/users",                   NoId,          [401, 403, 403, 403, 201]),
    ("GET",   "/api/v1/users",                   NoId,          [401, 403, 403, 403, 200]),
    ("GET",   "/api/v1/users/{id}",              User,          [401, 403, 403, 403, 200]),
    ("PATCH", "/api/v1/users/{id}",              User,          [401, 403, 403, 403, 200]),
    ("GET",   "/api/v1/sectors",                 NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/regions",                 NoId,          [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/enterprises",             NoId,          [401, 403, 403, 201, 201]),
    ("GET",   "/api/v1/enterprises",             NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/enterprises/{id}",        InEnterprise,  [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/enterprises/{id}",        OutEnterprise, [401, 404, 404, 404, 200]),
    ("PATCH", "/api/v1/enterprises/{id}",        InEnterprise,  [401, 403, 403, 200, 200]),
    ("PATCH", "/api/v1/enterprises/{id}",        OutEnterprise, [401, 403, 403, 404, 200]),
    ("POST",  "/api/v1/checklists",              NoId,          [401, 403, 403, 403, 201]),
    ("GET",   "/api/v1/checklists",              NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/checklists/{id}",         Checklist,     [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/inspections",             NoId,          [401, 201, 201, 403, 403]),
    ("GET",   "/api/v1/inspections",             NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/inspections/{id}",        InInspection,  [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/inspections/{id}",        OutInspection, [401, 404, 404, 404, 200]),
    // Only the officers of an inspection may change it; the callers here are not among them.
    ("PATCH", "/api/v1/inspections/{id}",        InInspection,  [401, 403, 403, 403, 403]),
    ("PATCH", "/api/v1/inspections/{id}",        OutInspection, [401, 404, 404, 403, 403]),
    ("POST",  "/api/v1/inspections/{id}/submit", InInspection,  [401, 403, 403, 403, 403]),
    ("POST",  "/api/v1/inspections/{id}/submit", OutInspection, [401, 404, 404, 403, 403]),
    ("POST",  "/api/v1/hazards",                 NoId,          [401, 201, 201, 201, 403]),
    ("GET",   "/api/v1/hazards",                 NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/hazards/{id}",            InHazard,      [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/hazards/{id}",            OutHazard,     [401, 404, 404, 404, 200]),
    ("GET",   "/api/v1/hazards/{id}/events",     InHazard,      [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/hazards/{id}/events",     OutHazard,     [401, 404, 404, 404, 200]),
    ("GET",   "/api/v1/hazards/{id}/events/verify", InHazard,   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/hazards/{id}/events/verify", OutHazard,  [401, 404, 404, 404, 200]),
    ("POST",  "/api/v1/hazards/{id}/extensions", InHazard,      [401, 403, 201, 403, 403]),
    ("POST",  "/api/v1/hazards/{id}/extensions", OutHazard,     [401, 403, 404, 403, 403]),
    ("GET",   "/api/v1/extensions",              NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/extensions/{id}",         InExtension,   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/extensions/{id}",         OutExtension,  [401, 404, 404, 404, 200]),
    ("POST",  "/api/v1/extensions/{id}/decision", InExtension,  [401, 403, 403, 200, 403]),
    ("POST",  "/api/v1/extensions/{id}/decision", OutExtension, [401, 403, 403, 404, 403]),
    ("POST",  "/api/v1/hazards/{id}/listing",    InHazard,      [401, 403, 403, 200, 403]),
    ("POST",  "/api/v1/hazards/{id}/listing",    OutHazard,     [401, 403, 403, 404, 403]),
    // Cancelling: only a supervisor in scope; the others are refused by the loop (409).
    ("POST",  "/api/v1/hazards/{id}/transitions", OutHazard,    [401, 404, 404, 404, 409]),
    ("POST",  "/api/v1/hazards/{id}/transitions", InHazard,     [401, 409, 409, 200, 409]),
    ("POST",  "/api/v1/photos",                  NoId,          [401, 201, 201, 201, 201]),
    // Photos attached to the in-scope and the out-of-scope hazard.
    ("GET",   "/api/v1/photos/{id}",             InPhoto,       [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/photos/{id}",             OutPhoto,      [401, 404, 404, 404, 200]),
    ("GET",   "/api/v1/photos/{id}/content",     InPhoto,       [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/photos/{id}/content",     OutPhoto,      [401, 404, 404, 404, 200]),
    ("GET",   "/api/v1/photos/{id}/thumbnail",   InPhoto,       [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/photos/{id}/thumbnail",   OutPhoto,      [401, 404, 404, 404, 200]),
    ("POST",  "/api/v1/photo-uploads",           NoId,          [401, 201, 201, 201, 201]),
    // The signed URL is the permission (a wrong signature here); tokens do not matter.
    ("PUT",   "/api/v1/photo-uploads/{id}/content", Slot,       [403, 403, 403, 403, 403]),
    // Only the one who asked for the slot may complete it.
    ("POST",  "/api/v1/photo-uploads/{id}/complete", Slot,      [401, 404, 404, 404, 404]),
    ("POST",  "/api/v1/resumable-uploads",       NoId,          [401, 201, 201, 201, 201]),
    // Only the one who started an upload may add to it or end it.
    ("PATCH", "/api/v1/resumable-uploads/{id}",  Resumable,     [401, 404, 404, 404, 404]),
    ("DELETE", "/api/v1/resumable-uploads/{id}", Resumable,     [401, 404, 404, 404, 404]),
    ("POST",  "/api/v1/enforcement-actions",     NoId,          [401, 201, 403, 201, 403]),
    ("GET",   "/api/v1/enforcement-actions",     NoId,          [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/enforcement-actions/{id}", InAction,     [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/enforcement-actions/{id}", OutAction,    [401, 404, 404, 404, 200]),
    ("GET",   "/api/v1/enforcement-actions/{id}/document.pdf", InAction, [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/enforcement-actions/{id}/document.pdf", OutAction, [401, 404, 404, 404, 200]),
    // Not submitted yet (in scope), or not in scope at all.
    ("GET",   "/api/v1/inspections/{id}/record.pdf", InInspection, [401, 409, 409, 409, 409]),
    ("GET",   "/api/v1/inspections/{id}/record.pdf", OutInspection, [401, 404, 404, 404, 409]),
    // No re-check recorded yet.
    ("GET",   "/api/v1/hazards/{id}/recheck.pdf", InHazard,     [401, 409, 409, 409, 409]),
    ("GET",   "/api/v1/hazards/{id}/recheck.pdf", OutHazard,    [401, 404, 404, 404, 409]),
    // Public: anyone checks a paper; an unknown code is not found.
    ("GET",   "/verify/{code}",                  NoId,          [404, 404, 404, 404, 404]),
    ("GET",   "/api/v1/stats",                   NoId,          [401, 200, 403, 200, 200]),
    ("GET",   "/api/v1/hazards/export",          NoId,          [401, 403, 403, 200, 200]),
    ("GET",   "/api/v1/map/hazards",             NoId,          [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/webhooks",                NoId,          [401, 403, 403, 201, 201]),
    ("GET",   "/api/v1/webhooks",                NoId,          [401, 403, 403, 200, 200]),
    ("GET",   "/api/v1/webhooks/{id}",           InWebhook,     [401, 403, 403, 200, 200]),
    ("GET",   "/api/v1/webhooks/{id}",           OutWebhook,    [401, 403, 403, 404, 200]),
    ("PATCH", "/api/v1/webhooks/{id}",           InWebhook,     [401, 403, 403, 200, 200]),
    ("POST",  "/api/v1/webhooks/{id}/rotate-secret", InWebhook, [401, 403, 403, 200, 200]),
    ("POST",  "/api/v1/webhooks/{id}/test",      OutWebhook,    [401, 403, 403, 404, 202]),
    ("GET",   "/api/v1/webhooks/{id}/deliveries", InWebhook,    [401, 403, 403, 200, 200]),
    ("POST",  "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", InDelivery, [401, 403, 403, 202, 202]),
    // Last: the admin's delete takes the endpoint away.
    ("DELETE", "/api/v1/webhooks/{id}",          OutWebhook,    [401, 403, 403, 404, 204]),
];

#[test]
fn every_documented_endpoint_has_a_row() {
    let document = safeloop::openapi::document();
    let documented: BTreeSet<(String, String)> = document
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(method, _)| (method.to_owned(), path.clone()))
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    let stale: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in the access matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for endpoints that no longer exist: {stale:?}"
    );
}

/// What the bodies refer to.
struct World {
    inside: String,
    partner: String,
}

fn body_for(method: &str, path: &str, caller: Option<&SignedIn>, world: &World) -> Option<Value> {
    let refresh = caller.map_or("not-a-token", |c| c.refresh.as_str());
    match (method, path) {
        ("POST", "/api/v1/auth/login") => Some(json!({
            "username": caller.map_or("nobody.at.all", |c| c.username.as_str()),
            "password": PASSWORD,
        })),
        ("POST", "/api/v1/auth/refresh" | "/api/v1/auth/logout") => {
            Some(json!({"refresh_token": refresh}))
        }
        ("POST", "/api/v1/me/password") => {
            Some(json!({"old_password": PASSWORD, "new_password": "a different long password"}))
        }
        ("POST", "/api/v1/users") => Some(json!({
            "username": format!("made-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            "password": "a long enough password", "display_name": "新用户", "role": "admin",
        })),
        ("PATCH", "/api/v1/users/{id}") => Some(json!({"display_name": "renamed"})),
        ("POST", "/api/v1/enterprises") => Some(json!({
            "credit_code": crate::harness::unique_credit_code(), "name": "赣县矿业有限公司",
            "sector": "non_coal_mines", "region_code": "360704101", "address": "王母渡镇",
            "risk_level": "orange", "contact_name": "李工", "contact_phone": "13800000000",
        })),
        ("PATCH", "/api/v1/enterprises/{id}") => Some(json!({"contact_name": "王工"})),
        ("POST", "/api/v1/checklists") => Some(json!({
            "sector": "fireworks", "name": "检查表",
            "items": [{"code": "A1", "text": "t", "legal_basis": "b", "major": false}],
        })),
        ("POST", "/api/v1/inspections") => {
            let self_inspection = caller.is_some_and(|c| c.username.starts_with("enterprise"));
            let officers: Vec<&str> = match caller {
                Some(c) if !self_inspection => vec![c.id.as_str(), world.partner.as_str()],
                _ => vec![],
            };
            Some(json!({
                "id": uuid::Uuid::new_v4(), "enterprise_id": world.inside,
                "kind": if self_inspection { "self" } else { "routine" }, "officer_ids": officers,
                "started_at": chrono::Utc::now() - chrono::Duration::minutes(30),
            }))
        }
        ("PATCH", "/api/v1/inspections/{id}") => Some(json!({"summary": "补充记录"})),
        ("POST", "/api/v1/hazards") => Some(crate::fixtures::hazard_body(&world.inside)),
        ("POST", "/api/v1/hazards/{id}/transitions") => {
            Some(json!({"action": "cancel", "note": "重复登记"}))
        }
        ("POST", "/api/v1/hazards/{id}/extensions") => Some(json!({
            "requested_deadline": chrono::Utc::now() + chrono::Duration::days(30), "reason": "设备到货延迟",
        })),
        ("POST", "/api/v1/extensions/{id}/decision") => {
            Some(json!({"approve": true, "note": "同意延期"}))
        }
        ("POST", "/api/v1/sync/write-checkpoint") => Some(json!({"ids": [uuid::Uuid::new_v4()]})),
        ("POST", "/api/v1/photo-uploads") => Some(json!({
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "size": 1000, "content_type": "image/jpeg", "purpose": "site",
        })),
        ("POST", "/api/v1/enforcement-actions") => Some(json!({
            "id": uuid::Uuid::new_v4(), "kind": "rectification_notice", "issuing_body": "赣县区应急管理局",
            "document_no": format!("（赣）应急责改〔2026〕{}号", &uuid::Uuid::new_v4().simple().to_string()[..6]),
            "enterprise_id": world.inside,
        })),
        ("POST", "/api/v1/hazards/{id}/listing") => {
            Some(json!({"level": "county", "note": "县级挂牌督办"}))
        }
        ("POST", "/api/v1/webhooks") => {
            Some(json!({"url": "https://1.1.1.1/hooks", "event_types": ["hazard.reported"]}))
        }
        ("PATCH", "/api/v1/webhooks/{id}") => Some(json!({"description": "县局平台"})),
        _ => None,
    }
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    target: &str,
    caller: Option<&SignedIn>,
    world: &World,
) -> u16 {
    let (target, delivery) = target.split_once('|').unwrap_or((target, ""));
    let mut uri = path
        .replace("{id}", target)
        .replace("{delivery_id}", delivery);
    if path.ends_with("/content") && method == "PUT" {
        uri.push_str("?expires=4102444800&signature=00");
    }
    let mut request = TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(&uri);
    if path.starts_with("/api/v1/resumable-uploads") {
        request = request
            .insert_header(("tus-resumable", "1.0.0"))
            .insert_header(("upload-length", "1000"))
            .insert_header(("upload-metadata", "purpose c2l0ZQ=="))
            .insert_header(("upload-offset", "0"))
            .insert_header(("content-type", "application/offset+octet-stream"));
    }
    if (method, path) == ("POST", "/api/v1/photos") {
        request =
            crate::photos::upload_request(&crate::photos::phone_jpeg(1), &[("purpose", "site")])
                .method(Method::POST);
    } else if let Some(body) = body_for(method, path, caller, world) {
        request = request.set_json(body);
    }
    if let Some(caller) = caller {
        request = request.insert_header(("authorization", format!("Bearer {}", caller.access)));
    }
    app.send(request).await.status.as_u16()
}

backend_test!(async fn every_role_gets_the_expected_status_everywhere(app) {
    let user = app.seed_user(Role::Inspector, "the.target", PASSWORD).id;
    let inside = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let outside = app.seed_enterprise("530524101", "fireworks", "昌宁烟花");
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fixtures::fireworks_checklist(&app, &admin.access).await;
    let (lead, partner) = fixtures::inspector_pair(&app, "360704").await;
    let (far_lead, far_partner) = fixtures::inspector_pair(&app, "530524").await;
    let id_of = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let in_inspection = fixtures::routine_inspection(&app, &lead, &partner, &inside, None).await;
    let out_inspection = fixtures::routine_inspection(&app, &far_lead, &far_partner, &outside, None).await;
    let with_photo = |enterprise: &str, photo: &Value| {
        let mut body = fixtures::hazard_body(enterprise);
        body["photo_ids"] = serde_json::json!([photo["id"]]);
        body
    };
    let in_photo = crate::photos::upload(&app, &lead.access, &crate::photos::phone_jpeg(2), "hazard").await.json();
    let out_photo = crate::photos::upload(&app, &far_lead.access, &crate::photos::phone_jpeg(3), "hazard").await.json();
    let in_hazard = fixtures::report(&app, &lead.access, &with_photo(&inside, &in_photo)).await;
    let out_hazard = fixtures::report(&app, &far_lead.access, &with_photo(&outside, &out_photo)).await;
    let (in_photo, out_photo) = (id_of(&in_photo), id_of(&out_photo));
    // Pending extension requests on two more hazards, for the decision rows.
    let far = outside.clone();
    let far_manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(far)).await;
    let near = inside.clone();
    let near_manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(near)).await;
    let extension = |hazard: Value, manager: &crate::harness::SignedIn| {
        let path = format!("/api/v1/hazards/{}/extensions", hazard["id"].as_str().unwrap());
        let token = manager.access.clone();
        let app = &app;
        async move {
            let body = json!({"requested_deadline": chrono::Utc::now() + chrono::Duration::days(20), "reason": "停产检修"});
            let created = app.post_as(&token, &path, &body).await;
            assert_eq!(created.status, 201, "{}", created.json());
            created.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let second_inside = fixtures::report(&app, &lead.access, &fixtures::hazard_body(&inside)).await;
    let second_outside = fixtures::report(&app, &far_lead.access, &fixtures::hazard_body(&outside)).await;
    let in_extension = extension(second_inside, &near_manager).await;
    let out_extension = extension(second_outside, &far_manager).await;
    let notice = |who: &SignedIn, enterprise: &str, number: u32| {
        let body = json!({
            "id": uuid::Uuid::new_v4(), "kind": "suspension", "issuing_body": "应急管理局",
            "document_no": format!("停〔2026〕{number}号"), "enterprise_id": enterprise,
        });
        let token = who.access.clone();
        let app = &app;
        async move {
            let created = app.post_as(&token, "/api/v1/enforcement-actions", &body).await;
            assert_eq!(created.status, 201, "{}", created.json());
            created.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let in_action = notice(&lead, &inside, 1).await;
    let slot = app.post_as(&lead.access, "/api/v1/photo-uploads", &body_for("POST", "/api/v1/photo-uploads", None, &World { inside: inside.clone(), partner: partner.id.clone() }).unwrap()).await;
    assert_eq!(slot.status, 201, "{}", slot.json());
    let slot = slot.json()["id"].as_str().unwrap().to_owned();
    let out_action = notice(&far_lead, &outside, 2).await;
    let resumable = app
        .send_as(&lead.access, TestRequest::post().uri("/api/v1/resumable-uploads").insert_header(("tus-resumable", "1.0.0")).insert_header(("upload-length", "1000")).insert_header(("upload-metadata", "purpose c2l0ZQ==")))
        .await;
    assert_eq!(resumable.status, 201);
    let resumable = resumable.header("location").unwrap().rsplit('/').next().unwrap().to_owned();
    let (in_inspection, out_inspection) = (id_of(&in_inspection), id_of(&out_inspection));
    let (in_hazard, out_hazard) = (id_of(&in_hazard), id_of(&out_hazard));
    let webhook = |prefix: &str| {
        let body = json!({"url": "https://1.1.1.1/hooks", "event_types": ["ping"], "region_prefix": prefix});
        let token = admin.access.clone();
        let app = &app;
        async move {
            let created = app.post_as(&token, "/api/v1/webhooks", &body).await;
            assert_eq!(created.status, 201, "{}", created.json());
            created.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let (in_webhook, out_webhook) = (webhook("3607").await, webhook("5305").await);
    let ping = app.post_as(&admin.access, &format!("/api/v1/webhooks/{in_webhook}/test"), &json!({})).await;
    let in_delivery = format!("{in_webhook}|{}", ping.json()["id"].as_str().unwrap());
    let world = World { inside: inside.clone(), partner: partner.id.clone() };
    let mut failures = Vec::new();
    for (method, path, target, expected) in MATRIX {
        let id = match target {
            NoId => "",
            User => &user,
            Checklist => &checklist,
            InEnterprise => &inside,
            OutEnterprise => &outside,
            InInspection => &in_inspection,
            OutInspection => &out_inspection,
            InHazard => &in_hazard,
            OutHazard => &out_hazard,
            InPhoto => &in_photo,
            OutPhoto => &out_photo,
            InExtension => &in_extension,
            OutExtension => &out_extension,
            InAction => &in_action,
            OutAction => &out_action,
            Slot => &slot,
            Resumable => &resumable,
            InWebhook => &in_webhook,
            OutWebhook => &out_webhook,
            InDelivery => &in_delivery,
        };
        for (caller_role, want) in CALLERS.iter().zip(expected) {
            // A fresh session per cell: refresh, logout and password change consume theirs.
            // The enterprise caller belongs to the in-scope enterprise.
            let caller = match caller_role {
                Some(Role::Enterprise) => Some(
                    app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(inside.clone())).await,
                ),
                Some(role) => Some(app.signed_in(*role).await),
                None => None,
            };
            let got = call(&app, method, path, id, caller.as_ref(), &world).await;
            if got != *want {
                failures.push(format!("{method} {path} ({target:?}) as {caller_role:?}: got {got}, want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
});
