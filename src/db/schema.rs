//! Portable column types for both backends: text UUIDs, UTC timestamps, integers for money.
//! Written by hand to match both migration trees; the migration test checks they agree.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        enterprise_id -> Nullable<Text>,
        region_prefix -> Nullable<Text>,
        sectors -> Text,
        certificate_no -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        username -> Text,
        client_addr -> Text,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    regions (code) {
        code -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
    }
}

diesel::table! {
    sectors (code) {
        code -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        position -> Integer,
    }
}

diesel::table! {
    enterprises (id) {
        id -> Text,
        credit_code -> Text,
        credit_code_override_reason -> Nullable<Text>,
        name -> Text,
        sector_code -> Text,
        region_code -> Text,
        address -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        risk_level -> Text,
        contact_name -> Text,
        contact_phone -> Text,
        above_scale -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(enterprises -> sectors (sector_code));
diesel::joinable!(enterprises -> regions (region_code));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    login_failures,
    regions,
    sectors,
    enterprises,
);
