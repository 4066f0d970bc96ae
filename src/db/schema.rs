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
