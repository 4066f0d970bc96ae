//! What makes an enterprise record coherent: its fields checked together (the credit code and
//! its recorded override), its sector and region in the catalog and inside the caller's scope,
//! and a patch merged over the stored record so the result is checked as a whole.

use super::catalog;
use super::credit_code;
use super::enterprise::EnterpriseRow;
use super::enterprise_api::{CreateEnterprise, EnterprisePatch, RiskLevel};
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError};
use crate::text;

fn text_error(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let len = value.trim().chars().count();
    if len == 0 || len > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1-{max} characters"),
        ));
    }
}

/// A line printed in ledgers and on documents: its length, and plain text (`text::name_error`).
fn name_line_error(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    match text::name_error(field, value) {
        Some(error) => errors.push(error),
        None => text_error(field, value, max, errors),
    }
}

/// Checks one enterprise's fields together; `credit_code` already normalised.
pub fn field_errors(e: &CreateEnterprise) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(problem) = credit_code::check(&e.credit_code) {
        let overridden = e
            .credit_code_override_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        let checksum_only = matches!(
            problem,
            credit_code::CreditCodeProblem::CheckCharacter { .. }
        );
        if !(overridden && checksum_only) {
            errors.push(FieldError::new("credit_code", problem.to_string()));
        }
    }
    if let Some(reason) = &e.credit_code_override_reason {
        text_error("credit_code_override_reason", reason, 500, &mut errors);
    }
    name_line_error("name", &e.name, 200, &mut errors);
    name_line_error("address", &e.address, 300, &mut errors);
    name_line_error("contact_name", &e.contact_name, 50, &mut errors);
    let phone_ok = (5..=30).contains(&e.contact_phone.trim().len())
        && e.contact_phone
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if !phone_ok {
        errors.push(FieldError::new(
            "contact_phone",
            "must be 5-30 digits, spaces, + - ( )",
        ));
    }
    match (e.latitude, e.longitude) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                errors.push(FieldError::new("latitude", "must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&lon) {
                errors.push(FieldError::new("longitude", "must be between -180 and 180"));
            }
        }
        (None, None) => {}
        (None, Some(_)) => errors.push(FieldError::new(
            "latitude",
            "give both latitude and longitude, or neither",
        )),
        (Some(_), None) => errors.push(FieldError::new(
            "longitude",
            "give both latitude and longitude, or neither",
        )),
    }
    errors
}

/// The catalog checks and the caller's own scope (a supervisor registers only inside it).
/// What documents print of an enterprise must be printable.
pub fn check_printable(e: &CreateEnterprise) -> Result<(), ApiError> {
    crate::documents::fonts::printable(&[
        ("name", Some(&e.name)),
        ("address", Some(&e.address)),
        ("contact_name", Some(&e.contact_name)),
        ("contact_phone", Some(&e.contact_phone)),
    ])
}

pub fn check_placement(
    conn: &mut DbConnection,
    caller: &AuthUser,
    e: &CreateEnterprise,
) -> Result<(), ApiError> {
    let sector = catalog::find_sector(conn, &e.sector)?;
    let mut errors = Vec::new();
    if sector.is_none() {
        errors.push(FieldError::new(
            "sector",
            "is not a known sector code (see GET /api/v1/sectors)",
        ));
    }
    if !catalog::region_exists(conn, &e.region_code)? {
        errors.push(FieldError::new(
            "region_code",
            "is not a known region code (see GET /api/v1/regions)",
        ));
    }
    ApiError::check_fields(errors)?;
    let parent = sector.and_then(|s| s.parent_code);
    if !Scope::of(caller).covers("", &e.region_code, &e.sector, parent.as_deref()) {
        return Err(ApiError::Forbidden(
            "the enterprise would lie outside your region or sectors".into(),
        ));
    }
    Ok(())
}

/// Checks and stores a new enterprise (admin, or a supervisor inside their scope): the one way
/// in, for the API and the console alike.
pub fn register(
    conn: &mut DbConnection,
    caller: &AuthUser,
    mut e: CreateEnterprise,
) -> Result<EnterpriseRow, ApiError> {
    caller.require(&[crate::auth::Role::Admin, crate::auth::Role::Supervisor])?;
    e.credit_code = credit_code::normalize(&e.credit_code);
    ApiError::check_fields(field_errors(&e))?;
    check_printable(&e)?;
    let id = e.id.unwrap_or_default().to_string();
    check_placement(conn, caller, &e)?;
    let row = row_from(&e, id);
    super::enterprise::insert(conn, &row)?;
    Ok(row)
}

/// The row to store for a new enterprise.
pub fn row_from(e: &CreateEnterprise, id: String) -> EnterpriseRow {
    let now = db::now();
    EnterpriseRow {
        id,
        credit_code: e.credit_code.clone(),
        credit_code_override_reason: e
            .credit_code_override_reason
            .clone()
            .filter(|_| credit_code::check(&e.credit_code).is_err()),
        name: e.name.trim().to_owned(),
        sector_code: e.sector.clone(),
        region_code: e.region_code.clone(),
        address: e.address.trim().to_owned(),
        latitude: e.latitude,
        longitude: e.longitude,
        risk_level: e.risk_level.as_str().to_owned(),
        contact_name: e.contact_name.trim().to_owned(),
        contact_phone: e.contact_phone.trim().to_owned(),
        above_scale: e.above_scale,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The enterprise as it would be after the patch, for checking as a whole.
pub fn merge(current: &EnterpriseRow, patch: &EnterprisePatch) -> CreateEnterprise {
    CreateEnterprise {
        id: None,
        credit_code: patch
            .credit_code
            .as_deref()
            .map_or(current.credit_code.clone(), credit_code::normalize),
        credit_code_override_reason: patch
            .credit_code_override_reason
            .clone()
            .unwrap_or_else(|| current.credit_code_override_reason.clone()),
        name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
        sector: patch
            .sector
            .clone()
            .unwrap_or_else(|| current.sector_code.clone()),
        region_code: patch
            .region_code
            .clone()
            .unwrap_or_else(|| current.region_code.clone()),
        address: patch
            .address
            .clone()
            .unwrap_or_else(|| current.address.clone()),
        latitude: patch.latitude.unwrap_or(current.latitude),
        longitude: patch.longitude.unwrap_or(current.longitude),
        risk_level: patch
            .risk_level
            .unwrap_or_else(|| RiskLevel::parse(&current.risk_level)),
        contact_name: patch
            .contact_name
            .clone()
            .unwrap_or_else(|| current.contact_name.clone()),
        contact_phone: patch
            .contact_phone
            .clone()
            .unwrap_or_else(|| current.contact_phone.clone()),
        above_scale: patch.above_scale.unwrap_or(current.above_scale),
    }
}
