//! Direct uploads: declare, PUT the bytes (to safeloop's signed URL on local disk, to a
//! presigned URL on a real S3 server), complete; and every way it is refused.

use std::io::{Read, Write};

use actix_web::test::TestRequest;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Backend, SignedIn, TestApp};
use crate::photos::{app_on, objects, phone_jpeg, photo_rows};
use crate::s3_server::S3Server;
use safeloop::auth::Role;

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn declare(app: &TestApp, who: &SignedIn, sha: &str, size: usize) -> Value {
    let slot = app
        .post_as(&who.access, "/api/v1/photo-uploads", &json!({
            "sha256": sha, "size": size, "content_type": "image/jpeg", "purpose": "rectification",
        }))
        .await;
    assert_eq!(slot.status, 201, "{}", slot.json());
    let slot = slot.json();
    assert_eq!(slot["method"], "PUT");
    slot
}

/// The path and query of a local slot URL, to send in-process.
fn local_path(slot: &Value) -> String {
    let url = slot["url"].as_str().unwrap();
    let at = url.find("/api/v1/").expect("a safeloop URL");
    url[at..].to_owned()
}

async fn put_local(
    app: &TestApp,
    path: &str,
    content_type: &str,
    bytes: &[u8],
) -> crate::harness::TestResponse {
    app.send(
        TestRequest::put()
            .uri(path)
            .insert_header(("content-type", content_type))
            .set_payload(bytes.to_vec()),
    )
    .await
}

async fn complete(app: &TestApp, who: &SignedIn, slot: &Value) -> crate::harness::TestResponse {
    let path = format!(
        "/api/v1/photo-uploads/{}/complete",
        slot["id"].as_str().unwrap()
    );
    app.post_as(&who.access, &path, &json!({})).await
}

#[actix_web::test]
async fn a_direct_upload_on_local_disk() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = app_on(backend, None, |_| {}).await;
        let manager = app.signed_in(Role::Enterprise).await;
        let photo = phone_jpeg(60);
        let slot = declare(&app, &manager, &sha256(&photo), photo.len()).await;
        assert_eq!(slot["headers"]["content-type"], "image/jpeg");
        let path = local_path(&slot);

        assert_eq!(
            put_local(&app, &path, "image/jpeg", &photo).await.status,
            200
        );
        let done = complete(&app, &manager, &slot).await;
        assert_eq!(done.status, 201, "{}", done.json());
        let done = done.json();
        assert_eq!(done["sha256"], sha256(&photo));
        assert_eq!(done["purpose"], "rectification");
        assert!(done["width"].as_u64().unwrap() > 0);
        let again = complete(&app, &manager, &slot).await;
        assert_eq!(
            (again.status.as_u16(), again.json()["id"].clone()),
            (200, done["id"].clone())
        );
        let staged = app
            .data_dir()
            .join("objects/uploads")
            .join(slot["id"].as_str().unwrap());
        assert!(
            !staged.exists(),
            "the staged bytes are gone once the photo is made"
        );
        assert_eq!(objects(&app, None), 2, "the original and its thumbnail");

        // The photo is the uploader's, like any other.
        let read = app
            .get_as(
                &manager.access,
                &format!("/api/v1/photos/{}", done["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(read.status, 200);
        let someone = app.signed_in(Role::Enterprise).await;
        complete(&app, &someone, &slot)
            .await
            .problem(404, "not_found");
    }
}

/// A phone that gives up waiting on `complete` and asks again while the first call still runs:
/// both answers are the same photo, and only one photo is made.
#[actix_web::test]
async fn two_completions_at_once_make_one_photo() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = app_on(backend, None, |_| {}).await;
        let manager = app.signed_in(Role::Enterprise).await;
        let photo = phone_jpeg(61);
        let slot = declare(&app, &manager, &sha256(&photo), photo.len()).await;
        put_local(&app, &local_path(&slot), "image/jpeg", &photo).await;
        let calls = (0..3).map(|_| complete(&app, &manager, &slot));
        let answers = futures_util::future::join_all(calls).await;
        let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 200, 201], "{backend:?}");
        let ids: Vec<Value> = answers.iter().map(|a| a.json()["id"].clone()).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(photo_rows(&app), 1, "{backend:?}: one photo for one slot");

        // A claim left by a server that stopped mid-way lapses, and the slot completes.
        let photo = phone_jpeg(62);
        let slot = declare(&app, &manager, &sha256(&photo), photo.len()).await;
        put_local(&app, &local_path(&slot), "image/jpeg", &photo).await;
        {
            use diesel::prelude::*;
            use safeloop::db::schema::photo_uploads;
            let stale = safeloop::db::now() - chrono::Duration::minutes(10);
            diesel::update(photo_uploads::table.find(slot["id"].as_str().unwrap()))
                .set(photo_uploads::claimed_at.eq(stale))
                .execute(&mut *app.db())
                .unwrap();
        }
        assert_eq!(complete(&app, &manager, &slot).await.status, 201);
    }
}

#[actix_web::test]
async fn what_a_direct_upload_refuses_leaves_nothing() {
    let app = app_on(Backend::Sqlite, None, |_| {}).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let photo = phone_jpeg(61);
    let staged = |slot: &Value| {
        app.data_dir()
            .join("objects/uploads")
            .join(slot["id"].as_str().unwrap())
    };

    // Bytes that are not the ones declared: refused, and removed.
    let slot = declare(
        &app,
        &inspector,
        &sha256(b"something else entirely"),
        photo.len(),
    )
    .await;
    put_local(&app, &local_path(&slot), "image/jpeg", &photo).await;
    let refused = complete(&app, &inspector, &slot)
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "sha256");
    assert!(!staged(&slot).exists());
    // The refusal gives the slot back: asking again answers at once instead of waiting on a claim.
    complete(&app, &inspector, &slot)
        .await
        .problem(422, "validation_failed");

    let slot = declare(&app, &inspector, &sha256(&photo), photo.len() + 10).await;
    put_local(&app, &local_path(&slot), "image/jpeg", &photo).await;
    let refused = complete(&app, &inspector, &slot)
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "size");

    let slot = declare(&app, &inspector, &sha256(&photo), photo.len() - 10).await;
    put_local(&app, &local_path(&slot), "image/jpeg", &photo)
        .await
        .problem(413, "payload_too_large");
    complete(&app, &inspector, &slot)
        .await
        .problem(422, "validation_failed");

    // Not an image, though it hashes as declared: inspected like any upload, and refused.
    let page = b"<html><script>alert(1)</script></html>";
    let slot = declare(&app, &inspector, &sha256(page), page.len()).await;
    put_local(&app, &local_path(&slot), "image/jpeg", page).await;
    complete(&app, &inspector, &slot)
        .await
        .problem(415, "unsupported_media_type");
    assert!(!staged(&slot).exists());

    // The URL is the permission: a changed signature, expiry or slot is refused.
    let slot = declare(&app, &inspector, &sha256(&photo), photo.len()).await;
    let path = local_path(&slot);
    let forged = path.replace("signature=", "signature=00");
    put_local(&app, &forged, "image/jpeg", &photo)
        .await
        .problem(403, "forbidden");
    let stretched = path.replace("expires=", "expires=9");
    put_local(&app, &stretched, "image/jpeg", &photo)
        .await
        .problem(403, "forbidden");
    let other = declare(&app, &inspector, &sha256(&photo), photo.len()).await;
    let swapped = path.replace(slot["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    put_local(&app, &swapped, "image/jpeg", &photo)
        .await
        .problem(403, "forbidden");
    put_local(&app, &path, "image/png", &photo)
        .await
        .problem(422, "validation_failed");
    complete(&app, &inspector, &slot)
        .await
        .problem(422, "validation_failed");

    // Declarations are checked before any slot is made.
    for (body, status, code) in [
        (
            json!({"sha256": "abc", "size": 10, "content_type": "image/jpeg", "purpose": "site"}),
            422,
            "validation_failed",
        ),
        (
            json!({"sha256": sha256(&photo), "size": 30 << 20, "content_type": "image/jpeg", "purpose": "site"}),
            413,
            "payload_too_large",
        ),
        (
            json!({"sha256": sha256(&photo), "size": 10, "content_type": "image/heic", "purpose": "site"}),
            415,
            "unsupported_media_type",
        ),
        (
            json!({"sha256": sha256(&photo), "size": 10, "content_type": "image/jpeg", "purpose": "selfie"}),
            422,
            "validation_failed",
        ),
    ] {
        app.post_as(&inspector.access, "/api/v1/photo-uploads", &body)
            .await
            .problem(status, code);
    }
    assert_eq!(photo_rows(&app), 0);
    assert_eq!(
        objects(&app, None),
        0,
        "nothing kept from any refused upload"
    );
}

/// PUTs `body` to a presigned URL with the headers it came with, over plain HTTP/1.1.
fn put_presigned(slot: &Value, body: &[u8]) -> u16 {
    let url = slot["url"].as_str().unwrap();
    let rest = url
        .strip_prefix("http://")
        .expect("the test server speaks plain HTTP");
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut request = format!("PUT {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    let headers = slot["headers"].as_object().unwrap();
    for (name, value) in headers {
        request.push_str(&format!("{name}: {}\r\n", value.as_str().unwrap()));
    }
    if !headers.contains_key("content-length") {
        request.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[actix_web::test]
async fn a_direct_upload_goes_straight_to_s3() {
    let server = S3Server::start();
    let app = app_on(Backend::Sqlite, Some(&server), |_| {}).await;
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = phone_jpeg(62);
    let slot = declare(&app, &manager, &sha256(&photo), photo.len()).await;
    assert!(
        slot["url"].as_str().unwrap().starts_with(&server.endpoint),
        "{slot}"
    );
    assert!(
        slot["url"].as_str().unwrap().contains("X-Amz-Signature"),
        "{slot}"
    );
    assert_eq!(put_presigned(&slot, &photo), 200);
    assert_eq!(
        server.object_count(),
        1,
        "the bytes went to the store, not through the API"
    );
    let done = complete(&app, &manager, &slot).await;
    assert_eq!(done.status, 201, "{}", done.json());
    assert_eq!(done.json()["sha256"], sha256(&photo));
    assert_eq!(
        server.object_count(),
        2,
        "the original and its thumbnail; the staged copy is gone"
    );

    // A PUT to the completed slot's URL, which stays valid until it expires, stages the
    // bytes again; once the URL has expired the cleanup removes them with the slot.
    assert_eq!(put_presigned(&slot, &photo), 200);
    assert_eq!(server.object_count(), 3);
    {
        use diesel::prelude::*;
        use safeloop::db::schema::photo_uploads;
        diesel::update(photo_uploads::table.find(slot["id"].as_str().unwrap()))
            .set(photo_uploads::expires_at.eq(safeloop::db::now() - chrono::Duration::hours(25)))
            .execute(&mut *app.db())
            .unwrap();
    }
    safeloop::evidence::ingest::collect_garbage(&app.state)
        .await
        .unwrap();
    assert_eq!(server.object_count(), 2, "no stray object is left behind");
    let photo_id = done.json()["id"].as_str().unwrap().to_owned();
    let content = app
        .get_as(
            &manager.access,
            &format!("/api/v1/photos/{photo_id}/content"),
        )
        .await;
    assert_eq!(content.body.as_ref(), photo.as_slice());

    // Other bytes of the same size: the signed `x-amz-checksum-sha256` makes the store itself
    // refuse them (400 BadDigest), and completion does not take whatever it kept.
    let slot = declare(&app, &manager, &sha256(&photo), photo.len()).await;
    assert!(
        slot["headers"]["x-amz-checksum-sha256"].is_string(),
        "the declared hash is a signed header: {slot}"
    );
    let mut tampered = photo.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 0xFF;
    assert_eq!(put_presigned(&slot, &tampered), 400);
    let refused = complete(&app, &manager, &slot).await;
    assert!(refused.status.is_client_error(), "{}", refused.json());
    assert_eq!(
        server.object_count(),
        2,
        "nothing of the refused bytes is kept"
    );

    // A presigned URL is bound to its signature: a changed one is refused by the store itself.
    let slot = declare(&app, &manager, &sha256(&photo), photo.len()).await;
    let mut forged = slot.clone();
    let url = slot["url"].as_str().unwrap();
    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &url[at..at + 1] == "0" { "1" } else { "0" };
    forged["url"] = json!(format!("{}{flipped}{}", &url[..at], &url[at + 1..]));
    assert_eq!(put_presigned(&forged, &photo), 403);
    assert_eq!(server.object_count(), 2);
}
