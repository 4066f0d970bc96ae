//! The loop's papers, read back with the tools a person would use: pdftotext for the facts,
//! pdffonts for the embedded fonts, pdftoppm for the page, zbarimg for the QR code, qpdf for
//! the file's health; then checked at /verify/{code} from outside.

use std::process::Command;

use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::backend_test;
use crate::fixtures::{
    fireworks_checklist, hazard_body, inspector_pair, report, routine_inspection,
};
use crate::harness::{Backend, SignedIn, TestApp, TestResponse};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;

/// Runs a tool over the bytes written to a temporary file; returns its stdout.
fn tool(program: &str, args: &[&str], bytes: &[u8], suffix: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("input{suffix}"));
    std::fs::write(&input, bytes).unwrap();
    let mut command = Command::new(program);
    for arg in args {
        command.arg(
            arg.replace("{in}", input.to_str().unwrap())
                .replace("{dir}", dir.path().to_str().unwrap()),
        );
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/test installs it)"));
    assert!(
        output.status.success() || program == "qpdf",
        "{program}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn text_of(pdf: &[u8]) -> String {
    tool(
        "pdftotext",
        &["-raw", "-enc", "UTF-8", "{in}", "-"],
        pdf,
        ".pdf",
    )
}

/// The first page as a PNG at `dpi`.
fn page_png(pdf: &[u8], dpi: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("doc.pdf");
    std::fs::write(&input, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
        ])
        .arg(&input)
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(dir.path().join("page.png")).unwrap()
}

/// What the QR codes on the last page say.
fn qr_codes(pdf: &[u8]) -> String {
    let pages = text_of(pdf).matches('\u{c}').count().max(1);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("doc.pdf");
    std::fs::write(&input, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            "200",
            "-png",
            "-f",
            &pages.to_string(),
            "-l",
            &pages.to_string(),
            "-singlefile",
        ])
        .arg(&input)
        .arg(dir.path().join("last"))
        .status()
        .unwrap();
    assert!(status.success());
    let output = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(dir.path().join("last.png"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn fetch_pdf(app: &TestApp, who: &SignedIn, path: &str) -> TestResponse {
    let answer = app.get_as(&who.access, path).await;
    assert_eq!(
        answer.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.header("content-type"), Some("application/pdf"));
    // KEEP_DOCUMENTS=DIR keeps every paper the tests fetch, to be looked at.
    if let Ok(dir) = std::env::var("KEEP_DOCUMENTS") {
        let code = answer.header("verification-code").unwrap_or("document");
        std::fs::write(format!("{dir}/{code}.pdf"), &answer.body).unwrap();
    }
    answer
}

async fn verify_json(app: &TestApp, code: &str) -> TestResponse {
    app.send(
        TestRequest::get()
            .uri(&format!("/verify/{code}"))
            .insert_header(("accept", "application/json")),
    )
    .await
}

/// A plant with a manager, a certified pair and a reported hazard, and a rectification notice.
struct Case {
    plant: String,
    manager: SignedIn,
    lead: SignedIn,
    hazard: String,
    notice: String,
}

async fn case(app: &TestApp) -> Case {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app
        .signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone()))
        .await;
    let (lead, _) = inspector_pair(app, "360704").await;
    let mut body = hazard_body(&plant);
    body["legal_basis"] = json!("《烟花爆竹安全管理条例》第十条");
    let hazard = report(app, &lead.access, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let notice = app
        .post_as(&lead.access, "/api/v1/enforcement-actions", &json!({
            "id": uuid::Uuid::new_v4(), "kind": "rectification_notice", "issuing_body": "赣县区应急管理局",
            "document_no": "（赣县）应急责改〔2026〕17号", "enterprise_id": plant,
            "hazard_ids": [hazard], "summary": "限期整改，逾期未整改的依法处理",
        }))
        .await;
    assert_eq!(notice.status, 201, "{}", notice.json());
    Case {
        plant,
        manager,
        lead,
        hazard,
        notice: notice.json()["id"].as_str().unwrap().to_owned(),
    }
}

backend_test!(async fn a_rectification_notice_is_a_checkable_paper(app) {
    let case = case(&app).await;
    let path = format!("/api/v1/enforcement-actions/{}/document.pdf", case.notice);
    let first = fetch_pdf(&app, &case.lead, &path).await;
    let pdf = first.body.to_vec();
    let code = first.header("verification-code").unwrap().to_owned();
    assert_eq!(first.header("etag"), Some(format!("\"{}\"", sha256(&pdf)).as_str()));

    // The facts, as pdftotext reads them.
    let text = text_of(&pdf).split_whitespace().collect::<String>();
    for fact in [
        "赣县区应急管理局", "责令限期整改指令书", "（赣县）应急责改〔2026〕17号", "王母渡烟花有限公司",
        "成品仓库消防通道堵塞", "3号成品库", "《烟花爆竹安全管理条例》第十条", "清理通道杂物，设置禁止占用标识",
        "第六十五条第一款第（三）项", "60日内", "赣县区人民法院", "赣县区人民政府",
        &format!("JX-{}", case.lead.username), "（签名）", "（印章）",
    ] {
        assert!(text.contains(fact), "missing `{fact}` in:\n{text}");
    }
    let credit_code = app.get_as(&case.lead.access, &format!("/api/v1/enterprises/{}", case.plant)).await.json()["credit_code"].as_str().unwrap().to_owned();
    assert!(text.contains(&credit_code));
    let deadline = safeloop::documents::record::chinese_date((Utc::now() + Duration::days(7)).naive_utc());
    assert!(text.contains(&deadline), "the deadline {deadline}");
    assert!(text.contains(&safeloop::documents::issue::grouped(&code)));

    // Embedded, subset fonts only.
    let fonts = tool("pdffonts", &["{in}"], &pdf, ".pdf");
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in &rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert!(columns[0].contains('+') && columns[0].contains("NotoSerifCJK"), "{fonts}");
        let n = columns.len();
        assert_eq!((columns[n - 5], columns[n - 4]), ("yes", "yes"), "embedded and subset: {fonts}");
    }
    // A healthy file that says it is PDF/A-2b.
    let check = tool("qpdf", &["--check", "{in}"], &pdf, ".pdf");
    assert!(check.contains("No syntax or stream encoding errors"), "{check}");
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("<pdfaid:part>2</pdfaid:part>") && raw.contains("<pdfaid:conformance>B</pdfaid:conformance>"), "PDF/A-2b metadata");

    // The QR code leads to the verify page, whose hash is the served file's.
    assert_eq!(qr_codes(&pdf), format!("http://127.0.0.1:8080/verify/{code}"));
    let verified = verify_json(&app, &code).await;
    assert_eq!(verified.status, 200);
    let verified = verified.json();
    assert_eq!(verified["sha256"], sha256(&pdf));
    assert_eq!(verified["title"], "责令限期整改指令书");
    assert_eq!(verified["number"], "（赣县）应急责改〔2026〕17号");
    assert_eq!(verified["enterprise_name"], "王母渡烟花有限公司");
    assert_eq!(verified["issuing_body"], "赣县区应急管理局");
    let fields: Vec<&String> = verified.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["code", "enterprise_name", "issued_on", "issuing_body", "kind", "number", "sha256", "title"], "nothing more");
    // For people: the same, as a page; by hand, with dashes and in lower case.
    let page = app
        .send(TestRequest::get().uri(&format!("/verify/{}", safeloop::documents::issue::grouped(&code).to_lowercase())).insert_header(("accept", "text/html,application/xhtml+xml")))
        .await;
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(&sha256(&pdf)) && html.contains("责令限期整改指令书"), "{html}");
    // A paper with one byte changed no longer matches.
    let mut altered = pdf.clone();
    let at = altered.len() / 2;
    altered[at] ^= 0x01;
    assert_ne!(sha256(&altered), verified["sha256"].as_str().unwrap());
    assert_eq!(verify_json(&app, "ZZZZ-ZZZZ-ZZZZ").await.problem(404, "not_found")["status"], 404);
    let unknown = app.send(TestRequest::get().uri("/verify/not-a-code").insert_header(("accept", "text/html"))).await;
    assert_eq!(unknown.status, 404);
    assert!(String::from_utf8_lossy(&unknown.body).contains("没有找到"));

    // The same record gives the same bytes, for whoever asks, later.
    let again = fetch_pdf(&app, &case.manager, &path).await;
    assert_eq!(again.body.to_vec(), pdf);

    // The hash entered the hazard's chained record, once, and the record still verifies.
    let events = app.get_as(&case.lead.access, &format!("/api/v1/hazards/{}/events", case.hazard)).await.json();
    let issued: Vec<&Value> = events.as_array().unwrap().iter().filter(|e| e["action"] == "document_issued").collect();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0]["detail"]["sha256"], sha256(&pdf));
    assert_eq!(issued[0]["detail"]["code"], code.as_str());
    let chain = app.get_as(&case.lead.access, &format!("/api/v1/hazards/{}/events/verify", case.hazard)).await.json();
    assert_eq!(chain["valid"], true);

    // Another enterprise, or an inspector elsewhere, cannot have it.
    let stranger = app.signed_in(Role::Enterprise).await;
    app.get_as(&stranger.access, &path).await.problem(404, "not_found");
    let far = app.signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into())).await;
    app.get_as(&far.access, &path).await.problem(404, "not_found");
    app.get_as(&case.lead.access, &format!("{path}?stage=notice")).await.problem(422, "validation_failed");
});

backend_test!(async fn every_paper_of_the_loop_comes_out(app) {
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fireworks_checklist(&app, &admin.access).await;
    let case = case(&app).await;
    let (lead, partner) = (case.lead.clone(), inspector_pair(&app, "360704").await.1);

    // 现场检查记录: not before it is submitted.
    let inspection = routine_inspection(&app, &lead, &partner, &case.plant, Some(&checklist)).await;
    let id = inspection["id"].as_str().unwrap();
    let record = format!("/api/v1/inspections/{id}/record.pdf");
    app.get_as(&lead.access, &record).await.problem(409, "document_not_available");
    let results = app
        .send_as(&lead.access, TestRequest::patch().uri(&format!("/api/v1/inspections/{id}")).insert_header(("if-match", "\"1\"")).set_json(json!({
            "results": [{"item_code": "YH-1", "outcome": "pass"}, {"item_code": "YH-2", "outcome": "fail", "note": "药物总库超量约200公斤"}],
            "summary": "检查了药物总库和成品仓库",
        })))
        .await;
    assert_eq!(results.status, 200, "{}", results.json());
    let submitted = app.post_as(&lead.access, &format!("/api/v1/inspections/{id}/submit"), &json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.json());
    let text = text_of(&fetch_pdf(&app, &lead, &record).await.body).split_whitespace().collect::<String>();
    for fact in ["现场检查记录", "日常检查", "安全警示标志齐全", "符合", "药物总库超量储存", "不符合", "药物总库超量约200公斤", "检查了药物总库和成品仓库"] {
        assert!(text.contains(fact), "missing `{fact}` in:\n{text}");
    }

    // 行政处罚告知书 and 行政处罚决定书, with the fine in capitals.
    let penalty = app
        .post_as(&lead.access, "/api/v1/enforcement-actions", &json!({
            "id": uuid::Uuid::new_v4(), "kind": "penalty_decision", "issuing_body": "赣县区应急管理局",
            "document_no": "（赣县）应急罚〔2026〕3号", "enterprise_id": case.plant, "hazard_ids": [case.hazard],
            "fine_fen": 2_365_000, "notified_at": Utc::now() - Duration::days(8), "hearing_requested": false,
            "summary": "你单位未按规定对重大危险源进行检测。",
        }))
        .await;
    assert_eq!(penalty.status, 201, "{}", penalty.json());
    let penalty = penalty.json()["id"].as_str().unwrap().to_owned();
    let base = format!("/api/v1/enforcement-actions/{penalty}/document.pdf");
    let decision = text_of(&fetch_pdf(&app, &lead, &base).await.body).split_whitespace().collect::<String>();
    for fact in ["行政处罚决定书", "罚款人民币贰万叁仟陆佰伍拾元整（￥23,650.00）", "15日内", "未要求听证"] {
        assert!(decision.contains(fact), "missing `{fact}` in:\n{decision}");
    }
    let notice = fetch_pdf(&app, &lead, &format!("{base}?stage=notice")).await;
    let notice_text = text_of(&notice.body).split_whitespace().collect::<String>();
    assert!(notice_text.contains("行政处罚告知书") && notice_text.contains("陈述和申辩"), "{notice_text}");
    assert_ne!(notice.header("verification-code"), None);

    // The decisions, each under its own title.
    for (kind, title) in [("seal_up", "查封扣押决定书"), ("suspension", "责令停产停业整顿决定书"), ("shutdown", "提请关闭告知书"), ("interview", "约谈通知书"), ("joint_punishment", "联合惩戒告知书"), ("referral", "案件移送书")] {
        let created = app
            .post_as(&lead.access, "/api/v1/enforcement-actions", &json!({
                "id": uuid::Uuid::new_v4(), "kind": kind, "issuing_body": "赣县区应急管理局",
                "document_no": format!("（赣县）应急{kind}〔2026〕1号"), "enterprise_id": case.plant,
                "hazard_ids": [case.hazard], "summary": "存在重大事故隐患。",
            }))
            .await;
        assert_eq!(created.status, 201, "{kind}: {}", created.json());
        let path = format!("/api/v1/enforcement-actions/{}/document.pdf", created.json()["id"].as_str().unwrap());
        let text = text_of(&fetch_pdf(&app, &lead, &path).await.body).split_whitespace().collect::<String>();
        assert!(text.contains(title), "{kind}: {text}");
    }

    // 整改复查意见书: after a re-check, failed here.
    let recheck = format!("/api/v1/hazards/{}/recheck.pdf", case.hazard);
    app.get_as(&lead.access, &recheck).await.problem(409, "document_not_available");
    let proof = upload(&app, &case.manager.access, &phone_jpeg(81), "rectification").await.json()["id"].clone();
    let transitions = format!("/api/v1/hazards/{}/transitions", case.hazard);
    let submitted = app.post_as(&case.manager.access, &transitions, &json!({"action": "submit_rectification", "note": "已清理通道", "photo_ids": [proof]})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.json());
    let spot = upload(&app, &partner.access, &phone_jpeg(82), "verification").await.json()["id"].clone();
    let failed = app.post_as(&partner.access, &transitions, &json!({"action": "verify_fail", "note": "通道仍有杂物", "photo_ids": [spot]})).await;
    assert_eq!(failed.status, 200, "{}", failed.json());
    let text = text_of(&fetch_pdf(&app, &case.manager, &recheck).await.body).split_whitespace().collect::<String>();
    for fact in ["整改复查意见书", "已清理通道", "未整改到位", "通道仍有杂物"] {
        assert!(text.contains(fact), "missing `{fact}` in:\n{text}");
    }
});

backend_test!(async fn a_name_no_font_can_show_is_refused(app) {
    let lead = inspector_pair(&app, "360704").await.0;
    let plant = app.seed_enterprise("360704101", "fireworks", "𪛖记烟花");
    let notice = app
        .post_as(&lead.access, "/api/v1/enforcement-actions", &json!({
            "id": uuid::Uuid::new_v4(), "kind": "interview", "issuing_body": "赣县区应急管理局",
            "document_no": "（赣县）应急约〔2026〕1号", "enterprise_id": plant, "summary": "约谈",
        }))
        .await;
    assert_eq!(notice.status, 201, "{}", notice.json());
    let path = format!("/api/v1/enforcement-actions/{}/document.pdf", notice.json()["id"].as_str().unwrap());
    let refused = app.get_as(&lead.access, &path).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "party.name");
    assert!(refused["detail"].as_str().unwrap().contains("U+2A6D6"), "{refused}");
    use diesel::prelude::*;
    let kept: i64 = safeloop::db::schema::documents::table.count().get_result(&mut *app.db()).unwrap();
    assert_eq!(kept, 0, "nothing issued");

    // Records are checked when they are made, since they cannot change once their papers are
    // due: a character no font shows, or a combining mark with no composed form, is refused;
    // one that composes is taken.
    let good = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mut body = hazard_body(&good);
    body["description"] = json!("喆𪛖库房");
    let refused = app.post_as(&lead.access, "/api/v1/hazards", &body).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "description");
    let mut body = hazard_body(&good);
    body["measures"] = json!("清理公司\u{301}通道");
    app.post_as(&lead.access, "/api/v1/hazards", &body).await.problem(422, "validation_failed");
    let mut body = hazard_body(&good);
    body["responsible_person"] = json!("Nguye\u{302}\u{303}n");
    assert_eq!(app.post_as(&lead.access, "/api/v1/hazards", &body).await.status, 201);
});

backend_test!(async fn a_paper_shows_the_deadline_it_ordered(app) {
    let case = case(&app).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    // The deadline is extended after the notice was issued, before its paper is first printed.
    let later = Utc::now() + Duration::days(30);
    let asked = app
        .post_as(&case.manager.access, &format!("/api/v1/hazards/{}/extensions", case.hazard), &json!({"requested_deadline": later, "reason": "设备到货延迟"}))
        .await;
    assert_eq!(asked.status, 201, "{}", asked.json());
    let decision = format!("/api/v1/extensions/{}/decision", asked.json()["id"].as_str().unwrap());
    assert_eq!(app.post_as(&supervisor.access, &decision, &json!({"approve": true})).await.status, 200);
    let path = format!("/api/v1/enforcement-actions/{}/document.pdf", case.notice);
    let text = text_of(&fetch_pdf(&app, &case.lead, &path).await.body).split_whitespace().collect::<String>();
    let ordered = safeloop::documents::record::chinese_date((Utc::now() + Duration::days(7)).naive_utc());
    let extended = safeloop::documents::record::chinese_date(later.naive_utc());
    assert!(text.contains(&ordered) && !text.contains(&extended), "{ordered} ordered, not {extended}:\n{text}");
});

backend_test!(async fn a_self_inspection_is_the_enterprises_own_paper(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let created = app
        .post_as(&manager.access, "/api/v1/inspections", &json!({
            "id": uuid::Uuid::new_v4(), "enterprise_id": plant, "kind": "self",
            "started_at": Utc::now() - Duration::hours(2), "summary": "班前自查",
        }))
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let submitted = app.post_as(&manager.access, &format!("/api/v1/inspections/{id}/submit"), &json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.json());
    let paper = fetch_pdf(&app, &manager, &format!("/api/v1/inspections/{id}/record.pdf")).await;
    let code = paper.header("verification-code").unwrap().to_owned();
    let verified = verify_json(&app, &code).await.json();
    assert_eq!(verified["issuing_body"], "王母渡烟花有限公司（企业自查）", "never the bureau's");
    let text = text_of(&paper.body).split_whitespace().collect::<String>();
    assert!(!text.contains("应急管理局"), "{text}");
});

/// The same record, rendered twice and on another day, gives the same bytes; its first page
/// matches the committed golden image; a bureau's own template is used without a rebuild.
#[test]
fn the_same_record_gives_the_same_page() {
    use safeloop::documents::{issue, kind::DocumentKind, templates};
    let data: Value =
        serde_json::from_str(include_str!("../golden/rectification_notice.json")).unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
        .unwrap()
        .and_hms_opt(2, 15, 0)
        .unwrap();
    let render =
        |files| issue::render(DocumentKind::RectificationNotice, &data, files, &[], at).unwrap();
    let first = render(templates::load(None).unwrap());
    let second = render(templates::load(None).unwrap());
    assert_eq!(first, second, "byte-identical");

    let page = image::load_from_memory(&page_png(&first, 60))
        .unwrap()
        .to_luma8();
    let golden_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/rectification_notice.png"
    );
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        page.save(golden_path).unwrap();
    }
    let golden = image::open(golden_path)
        .expect("tests/golden/rectification_notice.png (UPDATE_GOLDEN=1 makes it)")
        .to_luma8();
    assert_eq!(page.dimensions(), golden.dimensions());
    let differing = page
        .pixels()
        .zip(golden.pixels())
        .filter(|(a, b)| (a.0[0] as i32 - b.0[0] as i32).abs() > 48)
        .count();
    let share = differing as f64 / (page.width() * page.height()) as f64;
    assert!(
        share < 0.002,
        "{:.3}% of the page differs from the golden image",
        share * 100.0
    );

    // A bureau's own wording, read from SAFELOOP_DOCUMENT_TEMPLATES at render time.
    let own = tempfile::tempdir().unwrap();
    let common = templates::load(None)
        .unwrap()
        .into_iter()
        .find(|(n, _)| n == "common.typ")
        .unwrap()
        .1;
    std::fs::write(
        own.path().join("common.typ"),
        common.replace("（印章）", "（公章）"),
    )
    .unwrap();
    let adapted = render(templates::load(Some(own.path())).unwrap());
    let text = text_of(&adapted);
    assert!(
        text.contains("（公章）") && !text.contains("（印章）"),
        "{text}"
    );
}

#[actix_web::test]
async fn documents_point_at_the_public_address() {
    let app = crate::photos::app_on(Backend::Sqlite, None, |c| {
        c.public_url = "https://aq.ganxian.gov.cn/safeloop".into()
    })
    .await;
    let case = case(&app).await;
    let path = format!("/api/v1/enforcement-actions/{}/document.pdf", case.notice);
    let pdf = fetch_pdf(&app, &case.lead, &path).await;
    let code = pdf.header("verification-code").unwrap().to_owned();
    assert_eq!(
        qr_codes(&pdf.body),
        format!("https://aq.ganxian.gov.cn/safeloop/verify/{code}")
    );
}
