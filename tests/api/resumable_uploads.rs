//! Photo uploads over tus 1.0.0 at `/api/v1/resumable-uploads`, as the phones' tus clients
//! drive them: cut at several offsets and resumed (on another API node too), a connection that
//! drops mid-PATCH, checksums, expiry, and every refusal in the protocol's own terms.

use std::io::{Read, Write};

use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::backend_test;
use crate::harness::{Backend, SignedIn, TestApp, TestResponse};
use crate::photos::{app_on, objects, phone_jpeg};
use crate::s3_server::S3Server;
use safeloop::auth::Role;

const BASE: &str = "/api/v1/resumable-uploads";

/// A noisy 1800×1400 JPEG of about 2 MB: big enough to span several parts.
fn big_jpeg() -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = image::RgbImage::from_fn(1800, 1400, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state & 0x3f) as u8;
        image::Rgb([noise.wrapping_add((x / 8) as u8), noise, (y / 6) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&image)
        .unwrap();
    assert!(jpeg.len() > 1_200_000, "{} bytes", jpeg.len());
    jpeg
}

fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

async fn create(app: &TestApp, who: &SignedIn, length: usize, meta: &str) -> TestResponse {
    app.send_as(
        &who.access,
        TestRequest::post()
            .uri(BASE)
            .insert_header(("tus-resumable", "1.0.0"))
            .insert_header(("upload-length", length.to_string()))
            .insert_header(("upload-metadata", meta)),
    )
    .await
}

async fn start(app: &TestApp, who: &SignedIn, length: usize) -> String {
    let meta = metadata(&[
        ("purpose", "rectification"),
        ("filename", "IMG_0412.jpg"),
        ("latitude", "25.85"),
        ("longitude", "115.02"),
    ]);
    let created = create(app, who, length, &meta).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    assert_eq!(created.header("tus-resumable"), Some("1.0.0"));
    assert!(created.header("upload-expires").unwrap().ends_with("GMT"));
    created.header("location").unwrap().to_owned()
}

async fn patch(
    app: &TestApp,
    who: &SignedIn,
    at: &str,
    offset: usize,
    bytes: &[u8],
    checksum: Option<String>,
) -> TestResponse {
    let mut request = TestRequest::patch()
        .uri(at)
        .insert_header(("tus-resumable", "1.0.0"))
        .insert_header(("content-type", "application/offset+octet-stream"))
        .insert_header(("upload-offset", offset.to_string()))
        .set_payload(bytes.to_vec());
    if let Some(checksum) = checksum {
        request = request.insert_header(("upload-checksum", checksum));
    }
    app.send_as(&who.access, request).await
}

async fn head(app: &TestApp, who: &SignedIn, at: &str) -> TestResponse {
    app.send_as(
        &who.access,
        TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri(at)
            .insert_header(("tus-resumable", "1.0.0")),
    )
    .await
}

fn offset_of(response: &TestResponse) -> usize {
    response
        .header("upload-offset")
        .expect("Upload-Offset")
        .parse()
        .unwrap()
}

fn sha256_b64(bytes: &[u8]) -> String {
    format!("sha256 {}", STANDARD.encode(Sha256::digest(bytes)))
}

/// Sends the rest of `photo` from wherever the server says the upload stands, as a tus
/// client resumes; returns the photo id.
async fn resume(app: &TestApp, who: &SignedIn, at: &str, photo: &[u8]) -> String {
    let offset = offset_of(&head(app, who, at).await);
    let done = patch(app, who, at, offset, &photo[offset..], None).await;
    assert_eq!(done.status, 204, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(offset_of(&done), photo.len());
    done.header("photo-id").expect("Photo-Id").to_owned()
}

async fn check_photo(app: &TestApp, who: &SignedIn, photo_id: &str, photo: &[u8]) {
    let view = app
        .get_as(&who.access, &format!("/api/v1/photos/{photo_id}"))
        .await;
    assert_eq!(view.status, 200);
    let view = view.json();
    assert_eq!(
        view["sha256"],
        hex::encode(Sha256::digest(photo)),
        "stored unchanged"
    );
    assert_eq!(view["purpose"], "rectification");
    assert_eq!(view["declared"]["latitude"], 25.85);
    let content = app
        .get_as(&who.access, &format!("/api/v1/photos/{photo_id}/content"))
        .await;
    assert_eq!(content.body.as_ref(), photo);
}

backend_test!(async fn an_upload_cut_three_times_resumes_to_the_same_photo(app) {
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = big_jpeg();
    let at = start(&app, &manager, photo.len()).await;
    assert_eq!(offset_of(&head(&app, &manager, &at).await), 0);

    // Three pieces, each followed by a HEAD as a client does after a drop.
    let cuts = [0, 300_001, 1_400_000, photo.len() - 17];
    for pair in cuts.windows(2) {
        let sent = patch(&app, &manager, &at, pair[0], &photo[pair[0]..pair[1]], None).await;
        assert_eq!(sent.status, 204, "{}", String::from_utf8_lossy(&sent.body));
        assert_eq!(offset_of(&sent), pair[1]);
        assert_eq!(sent.header("tus-resumable"), Some("1.0.0"));
        assert!(sent.header("photo-id").is_none());
        let state = head(&app, &manager, &at).await;
        assert_eq!(state.status, 200);
        assert_eq!(offset_of(&state), pair[1]);
        assert_eq!(state.header("upload-length"), Some(photo.len().to_string().as_str()));
        assert_eq!(state.header("cache-control"), Some("no-store"));
        assert!(state.header("upload-metadata").unwrap().contains("purpose "));
    }

    // A client that thinks it is elsewhere is told 409, and nothing moves.
    let stale = patch(&app, &manager, &at, 300_001, &photo[300_001..400_000], None).await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(offset_of(&head(&app, &manager, &at).await), cuts[3]);

    let photo_id = resume(&app, &manager, &at, &photo).await;
    check_photo(&app, &manager, &photo_id, &photo).await;
    let state = head(&app, &manager, &at).await;
    assert_eq!(state.header("photo-id"), Some(photo_id.as_str()), "a later HEAD names it too");
    assert_eq!(objects(&app, None), 2, "the original and its thumbnail; the parts are gone");
    let again = patch(&app, &manager, &at, photo.len(), b"x", None).await;
    assert_eq!(again.status, 409, "a finished upload takes no more bytes");

    // Someone else cannot see or touch it.
    let stranger = app.signed_in(Role::Enterprise).await;
    assert_eq!(head(&app, &stranger, &at).await.status, 404);
    assert_eq!(patch(&app, &stranger, &at, photo.len(), b"x", None).await.status, 404);
});

backend_test!(async fn checksums_and_the_protocol_are_enforced(app) {
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = phone_jpeg(71);

    // Discovery needs no token.
    let options = app.request(actix_web::http::Method::OPTIONS, BASE).await;
    assert_eq!(options.status, 204);
    assert_eq!(options.header("tus-version"), Some("1.0.0"));
    assert_eq!(options.header("tus-extension"), Some("creation,checksum,expiration,termination"));
    assert_eq!(options.header("tus-checksum-algorithm"), Some("sha256"));
    assert_eq!(options.header("tus-max-size"), Some("20971520"));

    let no_version = app
        .send_as(&manager.access, TestRequest::post().uri(BASE).insert_header(("upload-length", "10")).insert_header(("upload-metadata", "purpose c2l0ZQ==")))
        .await;
    no_version.problem(400, "invalid_header");
    assert_eq!(no_version.header("tus-resumable"), Some("1.0.0"));
    let old_version = app
        .send_as(&manager.access, TestRequest::post().uri(BASE).insert_header(("tus-resumable", "0.2.2")).insert_header(("upload-length", "10")).insert_header(("upload-metadata", "purpose c2l0ZQ==")))
        .await;
    old_version.problem(412, "version_mismatch");
    create(&app, &manager, 30 * 1024 * 1024, &metadata(&[("purpose", "site")])).await.problem(413, "payload_too_large");
    let no_purpose = create(&app, &manager, 100, &metadata(&[("filename", "a.jpg")])).await.problem(422, "validation_failed");
    assert_eq!(no_purpose["errors"][0]["field"], "Upload-Metadata.purpose");
    create(&app, &manager, 100, "purpose ***").await.problem(422, "validation_failed");
    create(&app, &manager, 100, &metadata(&[("purpose", "selfie")])).await.problem(422, "validation_failed");
    let unauthenticated = app
        .send(TestRequest::post().uri(BASE).insert_header(("tus-resumable", "1.0.0")).insert_header(("upload-length", "10")))
        .await;
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(unauthenticated.header("tus-resumable"), Some("1.0.0"), "errors speak tus too");

    let at = start(&app, &manager, photo.len()).await;
    let half = photo.len() / 2;
    // Bytes that do not match their checksum: 460, and nothing of them kept.
    let wrong = patch(&app, &manager, &at, 0, &photo[..half], Some(sha256_b64(b"other bytes"))).await;
    assert_eq!(wrong.status, 460);
    assert_eq!(wrong.json()["code"], "checksum_mismatch");
    assert_eq!(offset_of(&head(&app, &manager, &at).await), 0);
    let md5 = patch(&app, &manager, &at, 0, &photo[..half], Some("md5 AAAA".into())).await;
    assert_eq!(md5.status, 400);
    let right = patch(&app, &manager, &at, 0, &photo[..half], Some(sha256_b64(&photo[..half]))).await;
    assert_eq!(right.status, 204);
    assert_eq!(offset_of(&right), half);
    let wrong_type = app
        .send_as(&manager.access, TestRequest::patch().uri(&at).insert_header(("tus-resumable", "1.0.0")).insert_header(("upload-offset", half.to_string())).insert_header(("content-type", "application/octet-stream")).set_payload(photo[half..].to_vec()))
        .await;
    assert_eq!(wrong_type.status, 415);
    let past_the_end = patch(&app, &manager, &at, half, &[&photo[half..], b"extra"].concat(), Some(sha256_b64(b"x"))).await;
    assert_eq!(past_the_end.status, 413);
    assert_eq!(offset_of(&head(&app, &manager, &at).await), half);
    let done = patch(&app, &manager, &at, half, &photo[half..], Some(sha256_b64(&photo[half..]))).await;
    assert_eq!(done.status, 204);
    assert!(done.header("photo-id").is_some());

    // Termination removes an upload and its bytes.
    let abandoned = start(&app, &manager, photo.len()).await;
    patch(&app, &manager, &abandoned, 0, &photo[..100], None).await;
    let before = objects(&app, None);
    let gone = app
        .send_as(&manager.access, TestRequest::delete().uri(&abandoned).insert_header(("tus-resumable", "1.0.0")))
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(objects(&app, None), before - 1);
    assert_eq!(head(&app, &manager, &abandoned).await.status, 404);
});

backend_test!(async fn what_is_not_a_photo_ends_the_upload(app) {
    let manager = app.signed_in(Role::Enterprise).await;
    let text = b"%PDF-1.7 not a photo at all".repeat(40);
    let at = start(&app, &manager, text.len()).await;
    let refused = patch(&app, &manager, &at, 0, &text, None).await;
    assert_eq!(refused.status, 415);
    assert_eq!(refused.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(head(&app, &manager, &at).await.status, 404);
    assert_eq!(objects(&app, None), 0, "its parts went with it");

    // Expired: refused, then collected with its parts.
    let photo = phone_jpeg(72);
    let at = start(&app, &manager, photo.len()).await;
    patch(&app, &manager, &at, 0, &photo[..500], None).await;
    {
        use diesel::prelude::*;
        use safeloop::db::schema::resumable_uploads;
        diesel::update(resumable_uploads::table)
            .set(resumable_uploads::expires_at.eq(safeloop::db::now() - chrono::Duration::minutes(1)))
            .execute(&mut *app.db())
            .unwrap();
    }
    let late = patch(&app, &manager, &at, 500, &photo[500..], None).await;
    assert_eq!(late.problem(410, "upload_expired")["status"], 410);
    assert_eq!(objects(&app, None), 1);
    safeloop::evidence::ingest::collect_garbage(&app.state).await.unwrap();
    assert_eq!(objects(&app, None), 0);
    assert_eq!(head(&app, &manager, &at).await.status, 404);
});

/// A checksummed PATCH bigger than a part that goes past the end keeps nothing.
#[actix_web::test]
async fn a_checksummed_patch_past_the_end_keeps_nothing() {
    let app = TestApp::new(Backend::Sqlite).await;
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = big_jpeg();
    let at = start(&app, &manager, photo.len()).await;
    let too_long = [&photo[..], &[0u8; 10]].concat();
    let refused = patch(
        &app,
        &manager,
        &at,
        0,
        &too_long,
        Some(sha256_b64(&too_long)),
    )
    .await;
    assert_eq!(refused.status, 413);
    assert_eq!(offset_of(&head(&app, &manager, &at).await), 0);
    assert_eq!(
        objects(&app, None),
        0,
        "the parts written on the way were removed"
    );
    let photo_id = resume(&app, &manager, &at, &photo).await;
    check_photo(&app, &manager, &photo_id, &photo).await;
}

/// A node that finishes after its claim lapsed and another node took over keeps the other's
/// photo; a HEAD while a node is at it waits for that photo.
#[actix_web::test]
async fn a_lapsed_claim_does_not_overwrite_the_photo() {
    let app = TestApp::new(Backend::Sqlite).await;
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = phone_jpeg(74);
    let at = start(&app, &manager, photo.len()).await;
    let id = at.rsplit('/').next().unwrap().to_owned();
    {
        use diesel::prelude::*;
        use safeloop::db::schema::resumable_uploads;
        // Another node claimed it long ago and vanished.
        diesel::update(resumable_uploads::table.find(&id))
            .set((
                resumable_uploads::finishing_since
                    .eq(safeloop::db::now() - chrono::Duration::minutes(10)),
                resumable_uploads::finishing_token.eq("gone-node"),
            ))
            .execute(&mut *app.db())
            .unwrap();
    }
    // Bytes cannot land while a claim stands, lapsed or not: the state is "finishing".
    let refused = patch(&app, &manager, &at, 0, &photo, None).await;
    assert_eq!(refused.status, 409);
    {
        use diesel::prelude::*;
        use safeloop::db::schema::resumable_uploads;
        diesel::update(resumable_uploads::table.find(&id))
            .set((
                resumable_uploads::finishing_since.eq(None::<chrono::NaiveDateTime>),
                resumable_uploads::finishing_token.eq(None::<String>),
            ))
            .execute(&mut *app.db())
            .unwrap();
    }
    let photo_id = resume(&app, &manager, &at, &photo).await;
    // The vanished node comes back and tries to finish under its old claim: refused.
    let late = {
        let mut conn = app.db();
        safeloop::evidence::resumable::finish(&mut conn, &id, "gone-node", "another-photo").unwrap()
    };
    assert!(!late);
    assert_eq!(
        head(&app, &manager, &at).await.header("photo-id"),
        Some(photo_id.as_str())
    );
}

/// One user cannot reserve the store with unfinished uploads.
#[actix_web::test]
async fn open_uploads_are_bounded_per_user() {
    let app = TestApp::new(Backend::Sqlite).await;
    let manager = app.signed_in(Role::Enterprise).await;
    for _ in 0..safeloop::evidence::resumable::MAX_OPEN_PER_USER {
        start(&app, &manager, 1000).await;
    }
    let refused = create(&app, &manager, 1000, &metadata(&[("purpose", "site")])).await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    let other = app.signed_in(Role::Enterprise).await;
    start(&app, &other, 1000).await;
}

#[actix_web::test]
async fn the_pixel_budget_holds_for_resumed_uploads() {
    let app = app_on(Backend::Sqlite, None, |c| c.photo_max_pixels = 1000).await;
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = phone_jpeg(73);
    let at = start(&app, &manager, photo.len()).await;
    let refused = patch(&app, &manager, &at, 0, &photo, None).await;
    assert_eq!(refused.status, 413);
}

async fn resumes_on_another_node(backend: Backend, s3: Option<&S3Server>) {
    let app = app_on(backend, s3, |_| {}).await;
    let other_node = app.second_process().await;
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = big_jpeg();
    let at = start(&app, &manager, photo.len()).await;
    let sent = patch(&app, &manager, &at, 0, &photo[..1_100_000], None).await;
    assert_eq!(sent.status, 204);
    // The load balancer sends the rest to the other node.
    let photo_id = resume(&other_node, &manager, &at, &photo).await;
    check_photo(&app, &manager, &photo_id, &photo).await;
    assert_eq!(objects(&app, s3), 2);
}

#[actix_web::test]
async fn another_node_resumes_on_local_disk() {
    resumes_on_another_node(Backend::Sqlite, None).await;
    resumes_on_another_node(Backend::Postgres, None).await;
}

#[actix_web::test]
async fn another_node_resumes_on_s3() {
    let server = S3Server::start();
    resumes_on_another_node(Backend::Sqlite, Some(&server)).await;
    let server = S3Server::start();
    resumes_on_another_node(Backend::Postgres, Some(&server)).await;
}

/// A real connection that drops in the middle of a PATCH: what arrived in whole parts is
/// kept, HEAD says where, and the rest completes the photo.
#[actix_web::test]
async fn a_dropped_connection_keeps_what_arrived() {
    let app = TestApp::new(Backend::Sqlite).await;
    let manager = app.signed_in(Role::Enterprise).await;
    let photo = big_jpeg();
    let at = start(&app, &manager, photo.len()).await;

    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || safeloop::app(state.clone()))
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
    let address = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);

    let cut_at = 1_600_000;
    let token = manager.access.clone();
    let (path, bytes) = (at.clone(), photo.clone());
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        let head = format!(
            "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
            bytes.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&bytes[..cut_at]).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        stream.shutdown(std::net::Shutdown::Both).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
    })
    .await
    .unwrap();

    // The server may still be storing what came; wait until the offset has settled.
    let mut offset = 0;
    for _ in 0..100 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = offset_of(&head(&app, &manager, &at).await);
        if now >= 1 << 20 && now == offset {
            break;
        }
        offset = now;
    }
    assert!(
        offset >= 1 << 20 && offset <= cut_at,
        "kept {offset} of {cut_at}"
    );
    let photo_id = resume(&app, &manager, &at, &photo).await;
    check_photo(&app, &manager, &photo_id, &photo).await;
    handle.stop(true).await;
}
