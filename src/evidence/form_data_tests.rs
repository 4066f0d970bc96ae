//! The form reader against forms cut into chunks at every place a network could cut them.

use std::convert::Infallible;

use super::*;

const BOUNDARY: &str = "----safeloopBoundary7MA4YWxk";

struct Part<'a> {
    name: &'a str,
    file_name: Option<&'a str>,
    body: Vec<u8>,
}

fn part<'a>(name: &'a str, file_name: Option<&'a str>, body: &[u8]) -> Part<'a> {
    Part {
        name,
        file_name,
        body: body.to_vec(),
    }
}

/// A form as a browser writes it, with a preamble and an epilogue a reader must skip.
fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = b"a preamble nobody reads\r\n".to_vec();
    for part in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let file = part
            .file_name
            .map(|f| format!("; filename=\"{f}\"\r\nContent-Type: image/jpeg"))
            .unwrap_or_default();
        out.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"{file}\r\n\r\n",
                part.name
            )
            .as_bytes(),
        );
        out.extend_from_slice(&part.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\nan epilogue\r\n").as_bytes());
    out
}

/// Bytes that look like the start of a delimiter in every way but the last.
fn tricky_body() -> Vec<u8> {
    let mut body = Vec::new();
    let delimiter = format!("\r\n--{BOUNDARY}");
    for cut in 1..delimiter.len() {
        body.extend_from_slice(&delimiter.as_bytes()[..cut]);
        body.push(b'x');
    }
    body.extend_from_slice(b"\r\r\n\n--\r\n-");
    body.extend((0..3000u32).map(|i| (i * 31 % 251) as u8));
    body.extend_from_slice(b"\r");
    body
}

fn stream_of(
    bytes: &[u8],
    cuts: &[usize],
) -> impl Stream<Item = Result<Bytes, Infallible>> + Unpin + use<> {
    let mut chunks = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let to = cut.min(bytes.len()).max(from);
        chunks.push(Ok(Bytes::copy_from_slice(&bytes[from..to])));
        from = to;
    }
    stream::iter(chunks)
}

/// Every part's field and bytes, read as the upload reads them.
async fn read_all(bytes: &[u8], cuts: &[usize]) -> Result<Vec<(Field, Vec<u8>)>, ApiError> {
    let mut form = FormData::new(BOUNDARY, stream_of(bytes, cuts))?;
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await? {
        let mut body = Vec::new();
        let mut chunks = form.chunks();
        while let Some(chunk) = chunks.next().await {
            body.extend_from_slice(&chunk?);
        }
        parts.push((field, body));
    }
    Ok(parts)
}

fn expected(parts: &[Part<'_>]) -> Vec<(Field, Vec<u8>)> {
    parts
        .iter()
        .map(|p| {
            let field = Field {
                name: p.name.to_owned(),
                file_name: p.file_name.map(str::to_owned),
                content_type: p.file_name.map(|_| "image/jpeg".to_owned()),
            };
            (field, p.body.clone())
        })
        .collect()
}

fn sample() -> Vec<Part<'static>> {
    vec![
        part("purpose", None, b"site"),
        part("file", Some("IMG_0001.jpg"), &tricky_body()),
        part("empty", None, b""),
        part("latitude", None, b"25.86"),
    ]
}

fn detail(error: ApiError) -> String {
    match error {
        ApiError::BadRequest {
            code: "malformed_multipart",
            detail,
        } => detail,
        other => panic!("not malformed_multipart: {other:?}"),
    }
}

#[actix_web::test]
async fn every_cut_into_two_or_three_chunks_reads_the_same_parts() {
    let parts = sample();
    let bytes = form(&parts);
    let want = expected(&parts);
    for cut in 0..=bytes.len() {
        assert_eq!(
            read_all(&bytes, &[cut]).await.unwrap(),
            want,
            "cut at {cut}"
        );
    }
    for first in (0..bytes.len()).step_by(7) {
        for second in (first..bytes.len()).step_by(13) {
            let got = read_all(&bytes, &[first, second]).await.unwrap();
            assert_eq!(got, want, "cut at {first} and {second}");
        }
    }
}

#[actix_web::test]
async fn chunks_of_every_small_size_read_the_same_parts() {
    let parts = sample();
    let bytes = form(&parts);
    for size in 1..=80 {
        let cuts: Vec<usize> = (size..bytes.len()).step_by(size).collect();
        let got = read_all(&bytes, &cuts).await.unwrap();
        assert_eq!(got, expected(&parts), "chunks of {size} bytes");
    }
}

#[actix_web::test]
async fn headers_cut_anywhere_before_a_large_chunk_are_read() {
    let photo: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let parts = [
        part("purpose", None, b"site"),
        part("file", Some("a.jpg"), &photo),
        part("note", None, b"done"),
    ];
    let bytes = form(&parts);
    for cut in 0..400 {
        let got = read_all(&bytes, &[cut]).await.unwrap();
        assert_eq!(got, expected(&parts), "cut at {cut}");
    }
}

#[actix_web::test]
async fn single_bytes_between_empty_chunks_without_a_preamble_read_the_same_parts() {
    let parts = sample();
    let whole = form(&parts);
    let first = whole.windows(2).position(|w| w == b"--").unwrap();
    let bytes = &whole[first..];
    let cuts: Vec<usize> = (0..bytes.len()).flat_map(|i| [i, i]).collect();
    assert_eq!(read_all(bytes, &cuts).await.unwrap(), expected(&parts));
}

#[actix_web::test]
async fn a_large_part_is_handed_on_in_the_chunks_it_came_in() {
    let photo: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let bytes = form(&[part("file", Some("a.jpg"), &photo)]);
    let chunks: Vec<Bytes> = bytes
        .chunks(64 * 1024)
        .map(Bytes::copy_from_slice)
        .collect();
    let within = |piece: &Bytes| {
        chunks.iter().any(|chunk| {
            let range = chunk.as_ptr_range();
            range.contains(&piece.as_ptr()) && piece.len() <= chunk.len()
        })
    };
    let body = stream::iter(chunks.clone().into_iter().map(Ok::<_, Infallible>));
    let mut form = FormData::new(BOUNDARY, body).unwrap();
    form.next_field().await.unwrap().unwrap();
    let (mut copied, mut read) = (0, Vec::new());
    let mut pieces = form.chunks();
    while let Some(piece) = pieces.next().await {
        let piece = piece.unwrap();
        if !within(&piece) {
            copied += piece.len();
        }
        read.extend_from_slice(&piece);
    }
    assert_eq!(read, photo);
    assert!(
        copied < 5 * 80,
        "only the bytes carried past a chunk's end are copied: {copied}"
    );
}

#[actix_web::test]
async fn a_part_left_unread_is_skipped() {
    let parts = sample();
    let bytes = form(&parts);
    let mut form = FormData::new(BOUNDARY, stream_of(&bytes, &[100, 1000, 2000])).unwrap();
    let mut names = Vec::new();
    while let Some(field) = form.next_field().await.unwrap() {
        names.push(field.name);
    }
    assert_eq!(names, ["purpose", "file", "empty", "latitude"]);
}

#[actix_web::test]
async fn padding_after_a_boundary_is_allowed() {
    let bytes = format!(
        "--{BOUNDARY} \t\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nsite\r\n--{BOUNDARY}--"
    );
    let got = read_all(bytes.as_bytes(), &[]).await.unwrap();
    assert_eq!(got, expected(&[part("purpose", None, b"site")]));
}

#[actix_web::test]
async fn text_is_limited_and_must_be_utf8() {
    let bytes = form(&[
        part("note", None, &[b'a'; 40]),
        part("bad", None, &[0xFF, 0xFE]),
    ]);
    let mut form = FormData::new(BOUNDARY, stream_of(&bytes, &[])).unwrap();
    form.next_field().await.unwrap().unwrap();
    assert!(matches!(
        form.text("note", 39).await,
        Err(ApiError::Validation { .. })
    ));
    let mut form = FormData::new(BOUNDARY, stream_of(&bytes, &[])).unwrap();
    form.next_field().await.unwrap().unwrap();
    assert_eq!(form.text("note", 40).await.unwrap(), "a".repeat(40));
    form.next_field().await.unwrap().unwrap();
    assert!(matches!(
        form.text("bad", 40).await,
        Err(ApiError::Validation { .. })
    ));
}

#[actix_web::test]
async fn broken_forms_are_malformed() {
    let whole = form(&sample());
    let closing = format!("\r\n--{BOUNDARY}--");
    let end = whole
        .windows(closing.len())
        .position(|w| w == closing.as_bytes())
        .unwrap();
    for cut in [10, 40, 120, end, end + 4] {
        let error = read_all(&whole[..cut], &[]).await.unwrap_err();
        assert!(detail(error).contains("ends before"), "cut at {cut}");
    }
    let head = |headers: &str| format!("--{BOUNDARY}\r\n{headers}\r\n\r\nx\r\n--{BOUNDARY}--");
    for (headers, says) in [
        ("Content-Type: text/plain", "Content-Disposition"),
        (
            "Content-Disposition: attachment; name=\"a\"",
            "Content-Disposition",
        ),
        ("Content-Disposition: form-data", "no name"),
        ("Not a header line", "headers"),
    ] {
        let error = read_all(head(headers).as_bytes(), &[]).await.unwrap_err();
        assert!(detail(error).contains(says), "{headers}");
    }
    let long = head(&format!("X-Long: {}", "a".repeat(MAX_HEAD)));
    let error = read_all(long.as_bytes(), &[300]).await.unwrap_err();
    assert!(detail(error).contains("too long"));
    let no_boundary = vec![b'z'; MAX_SKIPPED + 100];
    let error = read_all(&no_boundary, &[]).await.unwrap_err();
    assert!(detail(error).contains("no boundary"));
    let glued = format!("--{BOUNDARY}Content-Disposition: form-data; name=\"a\"\r\n\r\n");
    let error = read_all(glued.as_bytes(), &[]).await.unwrap_err();
    assert!(detail(error).contains("followed by"));
    let many: String = (0..=MAX_PARTS)
        .map(|i| {
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n\r\n")
        })
        .collect();
    let error = read_all(format!("{many}--{BOUNDARY}--").as_bytes(), &[])
        .await
        .unwrap_err();
    assert!(detail(error).contains("parts"));
    for boundary in ["", "b".repeat(71).as_str()] {
        let error = FormData::new(boundary, stream_of(b"", &[])).err().unwrap();
        assert!(detail(error).contains("1 to 70"));
    }
}
