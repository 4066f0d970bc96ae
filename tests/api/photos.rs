//! Photo evidence on local disk and on a real S3-compatible server: what is read from the
//! bytes, what is refused, who may see a photo, and what a store failure leaves behind.

use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::fixtures::hazard_body;
use crate::harness::{Backend, TestApp, TestDatabase, TestResponse};
use crate::s3_server::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use safeloop::auth::Role;
use safeloop::config::{Config, S3Settings};

/// A 640×480 JPEG whose EXIF says: rotate 90° (6), taken 2026-05-01 09:30, at 25.85 N 115.02 E.
pub fn phone_jpeg(seed: u8) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value as V};
    let image = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([seed, (x / 3) as u8, (y / 2) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&image)
        .unwrap();
    let dms = |deg: u32, min: u32, sec_x100: u32| {
        V::Rational(vec![
            Rational { num: deg, denom: 1 },
            Rational { num: min, denom: 1 },
            Rational {
                num: sec_x100,
                denom: 100,
            },
        ])
    };
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: V::Short(vec![6]),
        },
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: V::Ascii(vec![b"HUAWEI".to_vec()]),
        },
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: V::Ascii(vec![b"P60".to_vec()]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: V::Ascii(vec![b"2026:05:01 09:30:00".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: V::Ascii(vec![b"N".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: dms(25, 51, 0),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: V::Ascii(vec![b"E".to_vec()]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: dms(115, 1, 1200),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A multipart/form-data request to `POST /api/v1/photos`.
pub fn upload_request(file: &[u8], fields: &[(&str, &str)]) -> TestRequest {
    let boundary = "safeloop-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    TestRequest::post()
        .uri("/api/v1/photos")
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body)
}

pub async fn upload(app: &TestApp, token: &str, file: &[u8], purpose: &str) -> TestResponse {
    app.send_as(token, upload_request(file, &[("purpose", purpose)]))
        .await
}

pub async fn app_on(
    backend: Backend,
    s3: Option<&S3Server>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let database = TestDatabase::create(backend);
    let mut config = Config::for_database(&database.url, database.data_dir());
    config.database_pool_size = 4;
    config.s3 = s3.map(|server| S3Settings {
        endpoint: server.endpoint.clone(),
        bucket: BUCKET.into(),
        region: "us-east-1".into(),
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.to_owned().into(),
        redirect_downloads: false,
    });
    adjust(&mut config);
    TestApp::with_config(database, config).await
}

pub fn photo_rows(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    safeloop::db::schema::photos::table
        .count()
        .get_result(&mut *app.db())
        .unwrap()
}

/// Objects in the store, wherever it is.
pub fn objects(app: &TestApp, s3: Option<&S3Server>) -> usize {
    match s3 {
        Some(server) => server.object_count(),
        None => walk(&app.data_dir().join("objects")),
    }
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn what_a_photo_says_and_who_sees_it(app: TestApp, s3: Option<&S3Server>) {
    let inspector = app.signed_in(Role::Inspector).await;
    let bytes = phone_jpeg(7);
    let uploaded = app
        .send_as(
            &inspector.access,
            upload_request(
                &bytes,
                &[
                    ("purpose", "hazard"),
                    ("captured_at", "2026-05-01T01:31:00Z"),
                    ("latitude", "25.86"),
                    ("longitude", "115.03"),
                ],
            ),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.json());
    let photo = uploaded.json();
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(640), Some(480))
    );
    assert_eq!(photo["content_type"], "image/jpeg");
    assert_eq!(photo["size"].as_u64(), Some(bytes.len() as u64));
    assert_eq!(photo["exif"]["orientation"], 6);
    assert_eq!(photo["exif"]["camera_make"], "HUAWEI");
    assert_eq!(photo["exif"]["captured_at"], "2026-05-01T09:30:00");
    assert!(
        (photo["exif"]["latitude"].as_f64().unwrap() - 25.85).abs() < 1e-6,
        "{photo}"
    );
    assert!(
        (photo["exif"]["longitude"].as_f64().unwrap() - 115.02).abs() < 1e-6,
        "{photo}"
    );
    assert_eq!(photo["declared"]["latitude"], 25.86);
    assert_eq!(photo["declared"]["captured_at"], "2026-05-01T01:31:00Z");
    assert_eq!(objects(&app, s3), 2, "the original and its thumbnail");

    let id = photo["id"].as_str().unwrap().to_owned();
    let content = app
        .get_as(&inspector.access, &format!("/api/v1/photos/{id}/content"))
        .await;
    assert_eq!(content.status, 200);
    assert_eq!(
        content.body.as_ref(),
        bytes.as_slice(),
        "the original bytes, unchanged"
    );
    assert_eq!(
        content.header("etag").map(str::to_owned),
        Some(format!("\"{}\"", photo["sha256"].as_str().unwrap()))
    );
    assert!(
        content
            .header("cache-control")
            .unwrap()
            .starts_with("private")
    );
    let etag = content.header("etag").unwrap().to_owned();
    let cached = app
        .send_as(
            &inspector.access,
            TestRequest::get()
                .uri(&format!("/api/v1/photos/{id}/content"))
                .insert_header(("if-none-match", etag)),
        )
        .await;
    assert_eq!(cached.status, 304);
    let thumbnail = app
        .get_as(&inspector.access, &format!("/api/v1/photos/{id}/thumbnail"))
        .await;
    assert_eq!(thumbnail.header("content-type"), Some("image/jpeg"));
    let thumb = image::load_from_memory(&thumbnail.body).unwrap();
    assert_eq!(
        (thumb.width(), thumb.height()),
        (240, 320),
        "orientation 6 applied: upright portrait"
    );

    let again = upload(&app, &inspector.access, &bytes, "site").await.json();
    assert_ne!(again["id"], photo["id"]);
    assert_eq!(again["sha256"], photo["sha256"]);
    assert_eq!(objects(&app, s3), 2, "an identical photo is stored once");

    // Nobody else sees an unattached photo; once it is evidence of a hazard, the hazard's
    // audience does.
    let colleague = app.signed_in(Role::Inspector).await;
    let far = app
        .signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into()))
        .await;
    app.get_as(&colleague.access, &format!("/api/v1/photos/{id}"))
        .await
        .problem(404, "not_found");
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mut body = hazard_body(&plant);
    body["photo_ids"] = json!([id]);
    let hazard = app
        .post_as(&inspector.access, "/api/v1/hazards", &body)
        .await;
    assert_eq!(hazard.status, 201, "{}", hazard.json());
    let hazard = hazard.json();
    assert_eq!(hazard["photos"][0]["id"], photo["id"]);
    assert!(hazard["photos"][0]["attached_at"].is_string());
    assert_eq!(
        app.get_as(&colleague.access, &format!("/api/v1/photos/{id}/thumbnail"))
            .await
            .status,
        200
    );
    app.get_as(&far.access, &format!("/api/v1/photos/{id}"))
        .await
        .problem(404, "not_found");

    let proof = upload(&app, &inspector.access, &phone_jpeg(9), "rectification")
        .await
        .json();
    let mut wrong_purpose = hazard_body(&plant);
    wrong_purpose["photo_ids"] = json!([proof["id"]]);
    let refused = app
        .post_as(&inspector.access, "/api/v1/hazards", &wrong_purpose)
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "photo_ids[0]");
    let mut not_mine = hazard_body(&plant);
    not_mine["photo_ids"] = json!([again["id"]]);
    app.post_as(&colleague.access, "/api/v1/hazards", &not_mine)
        .await
        .problem(422, "validation_failed");
    let hazards = app
        .get_as(&inspector.access, "/api/v1/hazards")
        .await
        .json();
    assert_eq!(
        hazards["items"].as_array().unwrap().len(),
        1,
        "refused reports leave nothing"
    );
}

async fn what_is_refused_leaves_nothing(app: TestApp, s3: Option<&S3Server>) {
    let user = app.signed_in(Role::Enterprise).await;
    let html = b"<html><body><script>alert('x')</script></body></html>";
    upload(&app, &user.access, html, "hazard")
        .await
        .problem(415, "unsupported_media_type");
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heicmore bytes of a phone photo";
    let refused = upload(&app, &user.access, heic, "hazard")
        .await
        .problem(415, "unsupported_media_type");
    assert!(refused["detail"].as_str().unwrap().contains("HEIC"));
    let big = vec![0xFFu8; 80 * 1024];
    upload(&app, &user.access, &big, "hazard")
        .await
        .problem(413, "payload_too_large");
    let wide = {
        let image = image::RgbImage::new(400, 300);
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 50)
            .encode_image(&image)
            .unwrap();
        out
    };
    let refused = upload(&app, &user.access, &wide, "hazard")
        .await
        .problem(413, "payload_too_large");
    assert!(refused["detail"].as_str().unwrap().contains("pixels"));
    let refused = upload(&app, &user.access, &phone_jpeg(1), "sky")
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "purpose");
    let no_file = app
        .send_as(
            &user.access,
            TestRequest::post()
                .uri("/api/v1/photos")
                .set_json(json!({"purpose": "site"})),
        )
        .await;
    no_file.problem(415, "unsupported_media_type");
    // A form cut off after the photo's bytes, before its closing boundary.
    let mut cut_short =
        b"--cut-short\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nsite\r\n\
        --cut-short\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n"
            .to_vec();
    cut_short.extend_from_slice(&phone_jpeg(2));
    let cut_short = TestRequest::post()
        .uri("/api/v1/photos")
        .insert_header(("content-type", "multipart/form-data; boundary=cut-short"))
        .set_payload(cut_short);
    app.send_as(&user.access, cut_short)
        .await
        .problem(400, "malformed_multipart");
    let no_boundary = TestRequest::post()
        .uri("/api/v1/photos")
        .insert_header(("content-type", "multipart/form-data"))
        .set_payload(b"--x\r\n\r\n".to_vec());
    app.send_as(&user.access, no_boundary)
        .await
        .problem(400, "malformed_multipart");
    assert_eq!(photo_rows(&app), 0);
    assert_eq!(objects(&app, s3), 0);
}

fn small_limits(config: &mut Config) {
    config.photo_max_bytes = 64 * 1024;
    config.photo_max_pixels = 100_000;
}

#[actix_web::test]
async fn local_photos_on_sqlite() {
    what_a_photo_says_and_who_sees_it(app_on(Backend::Sqlite, None, |_| {}).await, None).await;
    what_is_refused_leaves_nothing(app_on(Backend::Sqlite, None, small_limits).await, None).await;
}

#[actix_web::test]
async fn local_photos_on_postgres() {
    what_a_photo_says_and_who_sees_it(app_on(Backend::Postgres, None, |_| {}).await, None).await;
    what_is_refused_leaves_nothing(app_on(Backend::Postgres, None, small_limits).await, None).await;
}

#[actix_web::test]
async fn s3_photos_on_sqlite() {
    let server = S3Server::start();
    what_a_photo_says_and_who_sees_it(
        app_on(Backend::Sqlite, Some(&server), |_| {}).await,
        Some(&server),
    )
    .await;
    let server = S3Server::start();
    what_is_refused_leaves_nothing(
        app_on(Backend::Sqlite, Some(&server), small_limits).await,
        Some(&server),
    )
    .await;
}

#[actix_web::test]
async fn s3_photos_on_postgres() {
    let server = S3Server::start();
    what_a_photo_says_and_who_sees_it(
        app_on(Backend::Postgres, Some(&server), |_| {}).await,
        Some(&server),
    )
    .await;
}

/// One conditional PUT per object: a taken key is reported as such (412 from the store), and
/// the SHA-256 ingest computed travels as `x-amz-checksum-sha256`, so the store refuses other
/// bytes even though the body is not signed.
#[actix_web::test]
async fn the_object_store_checks_what_ingest_hashed() {
    use sha2::Digest;
    let server = S3Server::start();
    let app = app_on(Backend::Sqlite, Some(&server), |_| {}).await;
    let store = &app.state.store;
    let bytes = actix_web::web::Bytes::from_static(b"a photo's bytes");
    let digest = hex::encode(sha2::Sha256::digest(&bytes));
    let wrong = hex::encode(sha2::Sha256::digest(b"other bytes"));
    assert!(
        store
            .put_new_checked(
                "originals/te/st/refused",
                bytes.clone(),
                "image/jpeg",
                Some(&wrong)
            )
            .await
            .is_err()
    );
    // s3s-fs writes the file before it compares the checksum (S3 itself keeps nothing).
    store.delete("originals/te/st/refused").await.unwrap();
    assert!(
        store
            .put_new_checked(
                "originals/te/st/kept",
                bytes.clone(),
                "image/jpeg",
                Some(&digest)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_new_checked(
                "originals/te/st/kept",
                bytes.clone(),
                "image/jpeg",
                Some(&digest)
            )
            .await
            .unwrap(),
        "a taken key"
    );
    assert!(
        !store
            .put_new("originals/te/st/kept", bytes.clone(), "image/jpeg")
            .await
            .unwrap()
    );
    assert_eq!(store.get("originals/te/st/kept").await.unwrap(), bytes);
    assert_eq!(objects(&app, Some(&server)), 1);
}

#[actix_web::test]
async fn a_store_that_goes_down_answers_503_and_leaves_no_row() {
    let mut server = S3Server::start();
    let app = app_on(Backend::Sqlite, Some(&server), |_| {}).await;
    let user = app.signed_in(Role::Inspector).await;
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(
        upload(&app, &user.access, &phone_jpeg(3), "site")
            .await
            .status,
        201
    );
    server.stop();
    let body = app.get("/readyz").await.problem(503, "service_unavailable");
    assert!(
        body["detail"].as_str().unwrap().contains("photo store"),
        "{body}"
    );
    let refused = upload(&app, &user.access, &phone_jpeg(4), "site")
        .await
        .problem(503, "service_unavailable");
    assert!(
        !refused["detail"].as_str().unwrap().contains("127.0.0.1"),
        "no internals: {refused}"
    );
    assert_eq!(photo_rows(&app), 1, "no row for the failed upload");
}

#[actix_web::test]
async fn forged_s3_credentials_are_refused_by_the_server() {
    let server = S3Server::start();
    let database = TestDatabase::create(Backend::Sqlite);
    let mut config = Config::for_database(&database.url, database.data_dir());
    config.s3 = Some(S3Settings {
        endpoint: server.endpoint.clone(),
        bucket: BUCKET.into(),
        region: "us-east-1".into(),
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: "not-the-secret".to_owned().into(),
        redirect_downloads: false,
    });
    let app = TestApp::with_config(database, config).await;
    app.get("/readyz").await.problem(503, "service_unavailable");
    let user = app.signed_in(Role::Inspector).await;
    upload(&app, &user.access, &phone_jpeg(5), "site")
        .await
        .problem(503, "service_unavailable");
    assert_eq!(server.object_count(), 0);
}

#[actix_web::test]
async fn unattached_photos_are_collected_after_a_day() {
    use diesel::prelude::*;
    use safeloop::db::schema::photos;
    let app = app_on(Backend::Sqlite, None, |_| {}).await;
    let user = app.signed_in(Role::Inspector).await;
    let old = upload(&app, &user.access, &phone_jpeg(11), "site")
        .await
        .json();
    let fresh = upload(&app, &user.access, &phone_jpeg(12), "site")
        .await
        .json();
    let kept = upload(&app, &user.access, &phone_jpeg(13), "hazard")
        .await
        .json();
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mut body = hazard_body(&plant);
    body["photo_ids"] = json!([kept["id"]]);
    assert_eq!(
        app.post_as(&user.access, "/api/v1/hazards", &body)
            .await
            .status,
        201
    );
    let two_days_ago = safeloop::db::stored_time(Utc::now() - Duration::days(2));
    for id in [&old["id"], &kept["id"]] {
        diesel::update(photos::table.find(id.as_str().unwrap()))
            .set(photos::uploaded_at.eq(two_days_ago))
            .execute(&mut *app.db())
            .unwrap();
    }
    assert_eq!(objects(&app, None), 6);
    let removed = safeloop::evidence::ingest::collect_garbage(&app.state)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(
        objects(&app, None),
        4,
        "the old photo's original and thumbnail went"
    );
    let path = |photo: &Value| format!("/api/v1/photos/{}", photo["id"].as_str().unwrap());
    assert_eq!(app.get_as(&user.access, &path(&old)).await.status, 404);
    assert_eq!(app.get_as(&user.access, &path(&fresh)).await.status, 200);
    assert_eq!(
        app.get_as(&user.access, &path(&kept)).await.status,
        200,
        "evidence is never collected"
    );
}

/// GETs a URL from the test S3 server over plain HTTP/1.1: the status and the body.
fn get_plain(url: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url
        .strip_prefix("http://")
        .expect("the test server speaks plain HTTP");
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    (status, response[split + 4..split + 4 + length].to_vec())
}

#[actix_web::test]
async fn s3_downloads_can_redirect_to_the_store() {
    let server = S3Server::start();
    let app = app_on(Backend::Sqlite, Some(&server), |config| {
        config.s3.as_mut().unwrap().redirect_downloads = true;
    })
    .await;
    let inspector = app.signed_in(Role::Inspector).await;
    let photo = phone_jpeg(7);
    let uploaded = upload(&app, &inspector.access, &photo, "site").await;
    assert_eq!(uploaded.status, 201);
    let id = uploaded.json()["id"].as_str().unwrap().to_owned();

    let content = app
        .get_as(&inspector.access, &format!("/api/v1/photos/{id}/content"))
        .await;
    assert_eq!(content.status, 307);
    assert_eq!(content.header("cache-control"), Some("private, no-store"));
    let url = content.header("location").unwrap().to_owned();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let (status, body) = get_plain(&url);
    assert_eq!(status, 200);
    assert!(body == photo, "the store hands out the original bytes");

    // The signature is the permission: a changed one is refused by the store.
    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &url[at..at + 1] == "0" { "1" } else { "0" };
    let forged = format!("{}{flipped}{}", &url[..at], &url[at + 1..]);
    assert_eq!(get_plain(&forged).0, 403);

    let thumbnail = app
        .get_as(&inspector.access, &format!("/api/v1/photos/{id}/thumbnail"))
        .await;
    assert_eq!(thumbnail.status, 307);
    let (status, body) = get_plain(thumbnail.header("location").unwrap());
    assert_eq!(status, 200);
    assert!(body.starts_with(&[0xFF, 0xD8]), "a JPEG thumbnail");

    // A cached copy is still answered by the API, and nobody out of scope gets a URL.
    let etag = format!("\"{}\"", uploaded.json()["sha256"].as_str().unwrap());
    let cached = app
        .send_as(
            &inspector.access,
            TestRequest::get()
                .uri(&format!("/api/v1/photos/{id}/content"))
                .insert_header(("if-none-match", etag)),
        )
        .await;
    assert_eq!(cached.status, 304);
    let stranger = app.signed_in(Role::Inspector).await;
    app.get_as(&stranger.access, &format!("/api/v1/photos/{id}/content"))
        .await
        .problem(404, "not_found");
}

/// Uploads wait in memory while the upload memory has room and in a temporary file past it;
/// either way the stored bytes are the sent ones, and the memory is given back.
async fn uploads_wait_in_memory_or_in_a_file(backend: Backend) {
    for budget in [64 << 20, 16 * 1024, 0] {
        let app = app_on(backend, None, |c| c.upload_memory_bytes = budget).await;
        let inspector = app.signed_in(Role::Inspector).await;
        for seed in [31, 32, 33] {
            let bytes = phone_jpeg(seed);
            assert!(bytes.len() > 16 * 1024, "larger than the small budget");
            let uploaded = upload(&app, &inspector.access, &bytes, "site").await;
            assert_eq!(uploaded.status, 201, "budget {budget}: {}", uploaded.json());
            let id = uploaded.json()["id"].as_str().unwrap().to_owned();
            let content = app
                .get_as(&inspector.access, &format!("/api/v1/photos/{id}/content"))
                .await;
            assert_eq!(content.body.as_ref(), bytes.as_slice(), "budget {budget}");
        }
        let refused = upload(&app, &inspector.access, b"not a photo at all", "site").await;
        refused.problem(415, "unsupported_media_type");
        assert_eq!(
            app.state.upload_memory.available(),
            budget,
            "every upload gave its memory back"
        );
    }
}

#[actix_web::test]
async fn uploads_wait_in_memory_or_in_a_file_on_sqlite() {
    uploads_wait_in_memory_or_in_a_file(Backend::Sqlite).await;
}

#[actix_web::test]
async fn uploads_wait_in_memory_or_in_a_file_on_postgres() {
    uploads_wait_in_memory_or_in_a_file(Backend::Postgres).await;
}
