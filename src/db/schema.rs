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
    console_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
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

diesel::table! {
    checklists (id) {
        id -> Text,
        sector_code -> Text,
        name -> Text,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    checklist_items (checklist_id, code) {
        checklist_id -> Text,
        position -> Integer,
        code -> Text,
        text -> Text,
        legal_basis -> Text,
        major -> Bool,
    }
}

diesel::table! {
    inspections (id) {
        id -> Text,
        enterprise_id -> Text,
        region_code -> Text,
        sector_code -> Text,
        kind -> Text,
        campaign -> Nullable<Text>,
        checklist_id -> Nullable<Text>,
        status -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        summary -> Text,
        created_by -> Text,
        submitted_at -> Nullable<Timestamp>,
        request_hash -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inspection_officers (inspection_id, user_id) {
        inspection_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    inspection_results (inspection_id, item_code) {
        inspection_id -> Text,
        item_code -> Text,
        outcome -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    hazards (id) {
        id -> Text,
        inspection_id -> Nullable<Text>,
        enterprise_id -> Text,
        region_code -> Text,
        sector_code -> Text,
        source -> Text,
        level -> Text,
        description -> Text,
        location -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        checklist_item_code -> Nullable<Text>,
        deadline -> Timestamp,
        responsible_person -> Text,
        measures -> Text,
        listed_level -> Nullable<Text>,
        status -> Text,
        reported_by -> Text,
        request_hash -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        rectified_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        status_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
        response_headers -> Nullable<Text>,
    }
}

diesel::table! {
    photos (id) {
        id -> Text,
        sha256 -> Text,
        storage_key -> Text,
        thumbnail_key -> Text,
        content_type -> Text,
        size -> BigInt,
        width -> Integer,
        height -> Integer,
        purpose -> Text,
        exif_captured_at -> Nullable<Timestamp>,
        exif_latitude -> Nullable<Double>,
        exif_longitude -> Nullable<Double>,
        exif_orientation -> Nullable<Integer>,
        camera_make -> Nullable<Text>,
        camera_model -> Nullable<Text>,
        declared_captured_at -> Nullable<Timestamp>,
        declared_latitude -> Nullable<Double>,
        declared_longitude -> Nullable<Double>,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        attached_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    hazard_photos (hazard_id, photo_id) {
        hazard_id -> Text,
        photo_id -> Text,
    }
}

diesel::table! {
    hazard_events (hazard_id, sequence) {
        hazard_id -> Text,
        sequence -> Integer,
        actor_id -> Text,
        actor_role -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        photo_ids -> Text,
        detail -> Nullable<Text>,
        at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    extension_requests (id) {
        id -> Text,
        hazard_id -> Text,
        requested_deadline -> Timestamp,
        reason -> Text,
        requested_by -> Text,
        requested_at -> Timestamp,
        decision -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    enforcement_actions (id) {
        id -> Text,
        kind -> Text,
        issuing_body -> Text,
        issued_year -> Integer,
        document_no -> Text,
        enterprise_id -> Text,
        region_code -> Text,
        sector_code -> Text,
        inspection_id -> Nullable<Text>,
        fine_fen -> Nullable<BigInt>,
        notified_at -> Nullable<Timestamp>,
        hearing_requested -> Nullable<Bool>,
        summary -> Text,
        issued_by -> Text,
        issued_at -> Timestamp,
        request_hash -> Text,
        created_at -> Timestamp,
        hearing_held_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    enforcement_action_hazards (action_id, hazard_id) {
        action_id -> Text,
        hazard_id -> Text,
    }
}

diesel::table! {
    photo_uploads (id) {
        id -> Text,
        sha256 -> Text,
        size -> BigInt,
        content_type -> Text,
        purpose -> Text,
        staging_key -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        photo_id -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
        claimed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_tallies (month, county_code, sector_code) {
        month -> Text,
        county_code -> Text,
        sector_code -> Text,
        inspections -> BigInt,
        hazards_found -> BigInt,
        major_hazards_found -> BigInt,
        hazards_rectified -> BigInt,
        major_hazards_rectified -> BigInt,
        hazards_closed -> BigInt,
    }
}

diesel::table! {
    inspected_enterprises (year, enterprise_id, region_code, sector_code) {
        year -> Integer,
        enterprise_id -> Text,
        region_code -> Text,
        sector_code -> Text,
        months -> Integer,
        days_01 -> Integer,
        days_02 -> Integer,
        days_03 -> Integer,
        days_04 -> Integer,
        days_05 -> Integer,
        days_06 -> Integer,
        days_07 -> Integer,
        days_08 -> Integer,
        days_09 -> Integer,
        days_10 -> Integer,
        days_11 -> Integer,
        days_12 -> Integer,
    }
}

diesel::table! {
    officer_tallies (month, officer_id, county_code, sector_code) {
        month -> Text,
        officer_id -> Text,
        county_code -> Text,
        sector_code -> Text,
        inspections -> BigInt,
        hazards_found -> BigInt,
        major_hazards_found -> BigInt,
        hazards_rectified -> BigInt,
        major_hazards_rectified -> BigInt,
        hazards_closed -> BigInt,
    }
}

diesel::table! {
    officer_inspected_enterprises (year, officer_id, enterprise_id, region_code, sector_code) {
        year -> Integer,
        officer_id -> Text,
        enterprise_id -> Text,
        region_code -> Text,
        sector_code -> Text,
        months -> Integer,
        days_01 -> Integer,
        days_02 -> Integer,
        days_03 -> Integer,
        days_04 -> Integer,
        days_05 -> Integer,
        days_06 -> Integer,
        days_07 -> Integer,
        days_08 -> Integer,
        days_09 -> Integer,
        days_10 -> Integer,
        days_11 -> Integer,
        days_12 -> Integer,
    }
}

diesel::table! {
    day_tallies (day, county_code, sector_code) {
        day -> Text,
        county_code -> Text,
        sector_code -> Text,
        inspections -> BigInt,
        hazards_found -> BigInt,
        major_hazards_found -> BigInt,
        hazards_rectified -> BigInt,
        major_hazards_rectified -> BigInt,
        hazards_closed -> BigInt,
    }
}

diesel::table! {
    officer_day_tallies (day, officer_id, county_code, sector_code) {
        day -> Text,
        officer_id -> Text,
        county_code -> Text,
        sector_code -> Text,
        inspections -> BigInt,
        hazards_found -> BigInt,
        major_hazards_found -> BigInt,
        hazards_rectified -> BigInt,
        major_hazards_rectified -> BigInt,
        hazards_closed -> BigInt,
    }
}

diesel::table! {
    outbox_events (position) {
        position -> BigInt,
        commit_order -> BigInt,
        id -> Text,
        event_type -> Text,
        hazard_id -> Nullable<Text>,
        enterprise_id -> Nullable<Text>,
        region_code -> Nullable<Text>,
        sector_code -> Nullable<Text>,
        payload -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    log_readers (name) {
        name -> Text,
        commit_order -> BigInt,
        position -> BigInt,
        held_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        kind -> Text,
        event_types -> Text,
        region_prefix -> Nullable<Text>,
        sectors -> Text,
        description -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        created_by -> Text,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_latency_ms -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        claim_token -> Nullable<Text>,
    }
}

diesel::table! {
    hazard_reminders (hazard_id, kind, deadline) {
        hazard_id -> Text,
        kind -> Text,
        deadline -> Timestamp,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    daily_digests (endpoint_id, day) {
        endpoint_id -> Text,
        day -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    sync_changes (position) {
        position -> BigInt,
        commit_order -> BigInt,
        entity -> Text,
        entity_id -> Text,
        enterprise_id -> Text,
        region_code -> Text,
        sector_code -> Text,
        owner_id -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    resumable_uploads (id) {
        id -> Text,
        uploaded_by -> Text,
        length -> BigInt,
        received -> BigInt,
        metadata -> Text,
        purpose -> Text,
        declared_captured_at -> Nullable<Timestamp>,
        declared_latitude -> Nullable<Double>,
        declared_longitude -> Nullable<Double>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        finishing_since -> Nullable<Timestamp>,
        finishing_token -> Nullable<Text>,
        photo_id -> Nullable<Text>,
    }
}

diesel::table! {
    resumable_upload_parts (upload_id, start_offset) {
        upload_id -> Text,
        start_offset -> BigInt,
        size -> BigInt,
        object_key -> Text,
    }
}

diesel::table! {
    documents (code) {
        code -> Text,
        kind -> Text,
        subject -> Text,
        number -> Nullable<Text>,
        issuing_body -> Text,
        issued_on -> Text,
        enterprise_name -> Text,
        data -> Text,
        sha256 -> Text,
        object_key -> Text,
        size -> BigInt,
        issued_by -> Text,
        issued_at -> Timestamp,
    }
}

diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(daily_digests -> webhook_endpoints (endpoint_id));
diesel::joinable!(hazard_reminders -> hazards (hazard_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(enterprises -> sectors (sector_code));
diesel::joinable!(enterprises -> regions (region_code));
diesel::joinable!(checklist_items -> checklists (checklist_id));
diesel::joinable!(inspections -> enterprises (enterprise_id));
diesel::joinable!(inspection_officers -> inspections (inspection_id));
diesel::joinable!(inspection_results -> inspections (inspection_id));
diesel::joinable!(hazards -> enterprises (enterprise_id));
diesel::joinable!(hazard_photos -> hazards (hazard_id));
diesel::joinable!(hazard_events -> hazards (hazard_id));
diesel::joinable!(extension_requests -> hazards (hazard_id));
diesel::joinable!(hazard_photos -> photos (photo_id));
diesel::joinable!(enforcement_actions -> enterprises (enterprise_id));
diesel::joinable!(enforcement_action_hazards -> enforcement_actions (action_id));
diesel::joinable!(enforcement_action_hazards -> hazards (hazard_id));
diesel::joinable!(resumable_upload_parts -> resumable_uploads (upload_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    login_failures,
    regions,
    sectors,
    enterprises,
    checklists,
    checklist_items,
    inspections,
    inspection_officers,
    inspection_results,
    hazards,
    idempotency_keys,
    log_readers,
    outbox_events,
    photos,
    hazard_photos,
    hazard_events,
    extension_requests,
    enforcement_actions,
    enforcement_action_hazards,
    photo_uploads,
    report_tallies,
    inspected_enterprises,
    officer_tallies,
    officer_inspected_enterprises,
    day_tallies,
    officer_day_tallies,
    webhook_endpoints,
    webhook_deliveries,
    hazard_reminders,
    daily_digests,
    sync_changes,
    resumable_uploads,
    resumable_upload_parts,
    documents,
    console_sessions,
);
