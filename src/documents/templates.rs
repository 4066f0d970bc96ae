//! The document templates: files in `templates/documents/` built into the binary, each
//! replaced by a file of the same name in `SAFELOOP_DOCUMENT_TEMPLATES` when there is one (read
//! at every render, so a bureau adapts its papers without a rebuild).

use std::path::Path;

use crate::error::ApiError;

const BUILT_IN: [(&str, &str); 8] = [
    (
        "common.typ",
        include_str!("../../templates/documents/common.typ"),
    ),
    (
        "inspection_record.typ",
        include_str!("../../templates/documents/inspection_record.typ"),
    ),
    (
        "rectification_notice.typ",
        include_str!("../../templates/documents/rectification_notice.typ"),
    ),
    (
        "penalty_notice.typ",
        include_str!("../../templates/documents/penalty_notice.typ"),
    ),
    (
        "penalty_decision.typ",
        include_str!("../../templates/documents/penalty_decision.typ"),
    ),
    (
        "decision.typ",
        include_str!("../../templates/documents/decision.typ"),
    ),
    (
        "recheck.typ",
        include_str!("../../templates/documents/recheck.typ"),
    ),
    (
        "decisions.json",
        include_str!("../../templates/documents/decisions.json"),
    ),
];

/// Every template file, the bureau's own where it has one.
pub fn load(dir: Option<&Path>) -> Result<Vec<(String, String)>, ApiError> {
    BUILT_IN
        .iter()
        .map(|(name, text)| {
            let own = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let text = match own {
                Some(path) => std::fs::read_to_string(&path).map_err(|e| {
                    ApiError::internal(format!("reading the template {}: {e}", path.display()))
                })?,
                None => (*text).to_owned(),
            };
            Ok(((*name).to_owned(), text))
        })
        .collect()
}

/// The wording of the decisions `decision.typ` lays out, by kind.
pub fn decisions(files: &[(String, String)]) -> Result<serde_json::Value, ApiError> {
    let text = files
        .iter()
        .find(|(name, _)| name == "decisions.json")
        .map(|(_, text)| text.as_str())
        .unwrap_or("{}");
    serde_json::from_str(text)
        .map_err(|e| ApiError::internal(format!("templates/documents/decisions.json: {e}")))
}
