//! What every operation shares, declared in one place from what the operation is, so no
//! handler lists it by hand and none can forget it:
//!
//! - secured operations answer 401 and 403; public ones say `security: []`;
//! - a body can be unreadable (400), too large (413), of the wrong type (415) or invalid (422);
//!   query parameters can be unreadable (400) or out of range (422); a path names a record
//!   that may not exist or be out of scope (404);
//! - every operation that reads the database or the store may meet an outage (503 with
//!   `Retry-After`); sign-in may be throttled (429 with `Retry-After`);
//! - a PATCH may collide with a unique value or a concurrent change (409);
//! - a secured POST takes `Idempotency-Key` (409 while the first is in flight, 422 when the key
//!   is reused with another body) and says `Idempotency-Replayed` on a replay;
//! - an operation that answers 412 takes `If-Match` (tus's 412 is about its version); one that answers 304 takes
//!   `If-None-Match`; both say `ETag`, as do the creates of versioned records; a 201 says
//!   `Location`;
//! - bodies that are bytes (photos, the XLSX ledger, the direct-upload PUT) are
//!   `format: binary`, so generated clients hand over and receive bytes, not integer arrays.

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{
    Content, Header, OpenApi, Ref, RefOr, Required, Schema, security::SecurityRequirement,
};

/// Operations that touch neither the database nor the store.
const NEVER_UNAVAILABLE: [&str; 2] = ["/healthz", "/metrics"];

/// Creates whose answer is a slot to send bytes to, not a record with an address.
const NO_LOCATION: [&str; 1] = ["/api/v1/photo-uploads"];

/// Records whose create answers the new version as `ETag`.
const VERSIONED_CREATES: [&str; 3] = [
    "/api/v1/hazards",
    "/api/v1/inspections",
    "/api/v1/enterprises",
];

/// The shared problem responses: (component name, status, description, carries `Retry-After`).
const PROBLEMS: [(&str, u16, &str, bool); 11] = [
    (
        "BadRequest",
        400,
        "the request could not be read: malformed JSON, a query parameter or path of the wrong form",
        false,
    ),
    (
        "Unauthenticated",
        401,
        "no valid access token: missing, expired, forged or revoked",
        false,
    ),
    ("Forbidden", 403, "the caller's role may not do this", false),
    (
        "NotFound",
        404,
        "no such record, or not in the caller's scope",
        false,
    ),
    (
        "Conflict",
        409,
        "the record's state does not allow this now, or the same Idempotency-Key is still being answered",
        false,
    ),
    (
        "PreconditionFailed",
        412,
        "`If-Match` names a version that is no longer current",
        false,
    ),
    (
        "PayloadTooLarge",
        413,
        "the body is larger than allowed",
        false,
    ),
    (
        "UnsupportedMediaType",
        415,
        "the body is not of a media type this operation takes",
        false,
    ),
    (
        "ValidationFailed",
        422,
        "the request was read but breaks a rule; `errors` names each field",
        false,
    ),
    (
        "TooManyRequests",
        429,
        "too many attempts; wait the `Retry-After` seconds",
        true,
    ),
    (
        "Unavailable",
        503,
        "the database or the photo store is unreachable; retry after `Retry-After` seconds",
        true,
    ),
];

/// Completes the document generated from the handlers.
pub fn complete(document: &mut OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        let methods = [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
            ("HEAD", &mut item.head),
            ("OPTIONS", &mut item.options),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                complete_operation(path, method, operation);
            }
        }
    }
    add_components(document);
}

fn complete_operation(path: &str, method: &str, operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    if operation.security.is_none() {
        operation.security = Some(Vec::<SecurityRequirement>::new());
    }
    let has_body = operation.request_body.is_some();
    let parameters = operation.parameters.clone().unwrap_or_default();
    let parameter_in = |place: ParameterIn| {
        parameters
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    let (query, in_path) = (parameter_in(ParameterIn::Query), path.contains('{'));
    allow_empty_query_values(operation);
    // Any query string can carry a NUL byte, which is refused before routing.
    let mut statuses: Vec<u16> = vec![400];
    if secured {
        statuses.extend([401, 403]);
    }
    if has_body {
        statuses.extend([400, 413, 415, 422]);
    }
    if query {
        statuses.extend([400, 422]);
    }
    if in_path {
        statuses.extend([400, 404]);
    }
    if !NEVER_UNAVAILABLE.contains(&path) {
        statuses.push(503);
    }
    // A change may collide with a unique value or with another change made at the same moment.
    if method == "PATCH" {
        statuses.push(409);
    }
    let idempotent_post = secured && method == "POST";
    if idempotent_post {
        statuses.extend([409, 422]);
        add_parameter(
            operation,
            "Idempotency-Key",
            "Makes a retry safe: the same key with the same body answers the first answer again \
(with `Idempotency-Replayed: true`) for 24 hours; with another body, 422; while the first is \
still being answered, 409. At most 255 characters.",
        );
    }
    let answers = |status: &str| operation.responses.responses.contains_key(status);
    // tus answers 412 for another protocol version, not for a stale record.
    let speaks_tus = parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.name == "Tus-Resumable"));
    let conditional_write = answers("412") && !speaks_tus;
    let conditional_read = answers("304");
    if conditional_write {
        add_parameter(
            operation,
            "If-Match",
            "The `ETag` of the version being changed (or `*`); another version answers 412.",
        );
    }
    if conditional_read {
        add_parameter(
            operation,
            "If-None-Match",
            "`ETag`s the client holds; the current one answers 304 without a body.",
        );
    }
    for status in statuses {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                let name = PROBLEMS
                    .iter()
                    .find(|p| p.1 == status)
                    .expect("every shared status has a problem")
                    .0;
                RefOr::Ref(Ref::from_response_name(name))
            });
    }
    let versioned = conditional_write
        || conditional_read
        || (method == "POST" && VERSIONED_CREATES.contains(&path));
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let success = status.starts_with('2') || status == "304";
        if versioned && success {
            add_header(
                response,
                "ETag",
                "The entity tag (a record's version, a photo's SHA-256), for `If-Match` and `If-None-Match`.",
            );
        }
        if status == "201" && !NO_LOCATION.contains(&path) {
            add_header(response, "Location", "Where the new record is read.");
        }
        if idempotent_post && status.starts_with('2') {
            add_header(
                response,
                "Idempotency-Replayed",
                "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
            );
        }
        for (media_type, content) in response.content.iter_mut() {
            if let RefOr::T(content) = content {
                make_binary(media_type, content);
            }
        }
    }
    if let Some(RefOr::T(body)) = &mut operation.request_body {
        for (media_type, content) in body.content.iter_mut() {
            if let RefOr::T(content) = content {
                make_binary(media_type, content);
            }
        }
    }
}

/// An empty query value (`?status=`, as phone forms send a blank filter) means the parameter
/// is absent (`ops::query_guard`); the document says so with `allowEmptyValue`.
fn allow_empty_query_values(operation: &mut Operation) {
    for parameter in operation.parameters.iter_mut().flatten() {
        if let RefOr::T(parameter) = parameter
            && parameter.parameter_in == ParameterIn::Query
        {
            let mut extensions = utoipa::openapi::extensions::Extensions::default();
            extensions.insert("allowEmptyValue".into(), serde_json::Value::Bool(true));
            parameter.extensions = Some(extensions);
        }
    }
}

/// Bytes are bytes: any media type but JSON, text and forms is a binary string.
fn make_binary(media_type: &str, content: &mut Content) {
    let textual = media_type.contains("json")
        || media_type.starts_with("text/")
        || media_type.starts_with("multipart/");
    if !textual {
        content.schema = Some(binary_schema());
    }
}

fn binary_schema() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .build(),
    ))
}

fn string_schema() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new().schema_type(Type::String).build(),
    ))
}

fn add_parameter(operation: &mut Operation, name: &str, description: &str) {
    let schema = match name {
        "Idempotency-Key" => ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[!-~]{1,255}$"))
            .min_length(Some(1))
            .max_length(Some(255)),
        // An empty `If-Match` is not a tag and answers 400; an empty `If-None-Match`
        // matches nothing.
        "If-Match" => ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1)),
        _ => ObjectBuilder::new().schema_type(Type::String),
    };
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    let present = parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case(name)));
    if !present {
        let parameter: Parameter = ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(RefOr::T(Schema::Object(schema.build()))))
            .build();
        parameters.push(RefOr::T(parameter));
    }
}

fn add_header(response: &mut Response, name: &str, description: &str) {
    response
        .headers
        .entry(name.to_owned())
        .or_insert_with(|| RefOr::T(header(description)));
}

fn header(description: &str) -> Header {
    let mut header = Header::new(string_schema());
    header.description = Some(description.to_owned());
    header
}

/// The shared problem responses that operations refer to (`#/components/responses/{name}`).
fn add_components(document: &mut OpenApi) {
    let referred = serde_json::to_string(&document.paths).expect("the paths serialise");
    let components = document.components.get_or_insert_with(Default::default);
    for (name, _, description, retry) in PROBLEMS {
        if !referred.contains(&format!("\"#/components/responses/{name}\"")) {
            continue;
        }
        let mut response = ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_JSON,
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build();
        if retry {
            response.headers.insert(
                "Retry-After".into(),
                RefOr::T(header("Seconds to wait before trying again.")),
            );
        }
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response));
    }
}
