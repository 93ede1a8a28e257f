// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "report_row"))]
    pub struct ReportRow;
}

diesel::table! {
    admin_events (id) {
        id -> Int8,
        seq -> Int8,
        actor_id -> Nullable<Uuid>,
        #[max_length = 16]
        actor_role -> Varchar,
        #[max_length = 24]
        subject -> Varchar,
        #[max_length = 32]
        action -> Varchar,
        details -> Jsonb,
        created_at -> Timestamptz,
        #[max_length = 64]
        prev_hash -> Nullable<Bpchar>,
        #[max_length = 64]
        hash -> Bpchar,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 16]
        key_prefix -> Varchar,
        #[max_length = 64]
        key_hash -> Bpchar,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    appeals (id) {
        id -> Uuid,
        #[max_length = 20]
        tracking_no -> Varchar,
        #[max_length = 64]
        access_code_hash -> Bpchar,
        #[max_length = 12]
        appellant_kind -> Varchar,
        #[max_length = 12]
        kind -> Varchar,
        #[max_length = 12]
        channel -> Varchar,
        #[max_length = 100]
        title -> Varchar,
        #[max_length = 5000]
        content -> Varchar,
        #[max_length = 32]
        category_code -> Nullable<Varchar>,
        #[max_length = 15]
        division_code -> Varchar,
        #[max_length = 200]
        address -> Nullable<Varchar>,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        #[max_length = 64]
        name -> Varchar,
        #[max_length = 20]
        phone -> Varchar,
        #[max_length = 254]
        email -> Nullable<Varchar>,
        #[max_length = 100]
        enterprise_name -> Nullable<Varchar>,
        #[max_length = 18]
        credit_code -> Nullable<Bpchar>,
        confidential -> Bool,
        #[max_length = 12]
        status -> Varchar,
        #[max_length = 32]
        lead_department_code -> Nullable<Varchar>,
        #[max_length = 12]
        deadline_class -> Nullable<Varchar>,
        dispatched_at -> Nullable<Timestamptz>,
        sign_due_at -> Nullable<Timestamptz>,
        reply_due_at -> Nullable<Timestamptz>,
        signed_at -> Nullable<Timestamptz>,
        suspended_at -> Nullable<Timestamptz>,
        replied_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        supervised -> Bool,
        #[max_length = 24]
        reject_disposition -> Nullable<Varchar>,
        merged_into -> Nullable<Uuid>,
        return_count -> Int4,
        rehandle_count -> Int4,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        #[max_length = 8]
        urgency -> Varchar,
        #[max_length = 16]
        pool_reason -> Nullable<Varchar>,
        #[max_length = 600]
        pool_detail -> Nullable<Varchar>,
        #[max_length = 32]
        returned_by -> Nullable<Varchar>,
        pooled_at -> Nullable<Timestamptz>,
        dispatch_due_at -> Nullable<Timestamptz>,
        dispatch_warn_at -> Nullable<Timestamptz>,
        sign_warn_at -> Nullable<Timestamptz>,
        reply_warn_at -> Nullable<Timestamptz>,
        dispatch_stage -> Int2,
        sign_stage -> Int2,
        reply_stage -> Int2,
        next_alarm_at -> Nullable<Timestamptz>,
        signed_on_time -> Nullable<Bool>,
        replied_on_time -> Nullable<Bool>,
        handling_working_minutes -> Nullable<Int4>,
        follow_up_round -> Int4,
        follow_up_due_at -> Nullable<Timestamptz>,
        closed_unrated -> Bool,
        #[max_length = 500]
        close_reason -> Nullable<Varchar>,
        repeat_of -> Nullable<Uuid>,
    }
}

diesel::table! {
    assignments (id) {
        id -> Int8,
        appeal_id -> Uuid,
        #[max_length = 32]
        department_code -> Varchar,
        #[max_length = 8]
        role -> Varchar,
        assigned_by -> Nullable<Uuid>,
        rule_id -> Nullable<Int8>,
        rule_version -> Nullable<Int4>,
        assigned_at -> Timestamptz,
        signed_at -> Nullable<Timestamptz>,
        signed_by -> Nullable<Uuid>,
        ended_at -> Nullable<Timestamptz>,
        assignee_id -> Nullable<Uuid>,
        reported_at -> Nullable<Timestamptz>,
        #[max_length = 12]
        end_reason -> Nullable<Varchar>,
    }
}

diesel::table! {
    attachments (id) {
        id -> Uuid,
        appeal_id -> Uuid,
        position -> Int2,
        #[max_length = 16]
        content_type -> Varchar,
        byte_size -> Int4,
        #[max_length = 64]
        sha256 -> Bpchar,
        bytes -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id, created_at) {
        id -> Int8,
        appeal_id -> Uuid,
        seq -> Int4,
        actor_id -> Nullable<Uuid>,
        #[max_length = 16]
        actor_role -> Varchar,
        #[max_length = 24]
        action -> Varchar,
        #[max_length = 12]
        from_status -> Nullable<Varchar>,
        #[max_length = 12]
        to_status -> Nullable<Varchar>,
        details -> Jsonb,
        created_at -> Timestamptz,
        #[max_length = 64]
        prev_hash -> Nullable<Bpchar>,
        #[max_length = 64]
        hash -> Bpchar,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        #[max_length = 8]
        kind -> Varchar,
        #[max_length = 64]
        name -> Varchar,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    calendar_settings (singleton) {
        singleton -> Bool,
        #[max_length = 64]
        time_zone -> Varchar,
        working_hours -> Jsonb,
        working_weekdays -> Array<Nullable<Int2>>,
        version -> Int8,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    categories (code) {
        #[max_length = 32]
        code -> Varchar,
        #[max_length = 64]
        name -> Varchar,
        #[max_length = 32]
        parent_code -> Nullable<Varchar>,
        active -> Bool,
    }
}

diesel::table! {
    category_fields (category_code, code) {
        #[max_length = 32]
        category_code -> Varchar,
        #[max_length = 32]
        code -> Varchar,
        #[max_length = 16]
        datatype -> Varchar,
        required -> Bool,
        #[max_length = 200]
        description -> Varchar,
        #[max_length = 200]
        datatype_description -> Nullable<Varchar>,
        position -> Int2,
        choices -> Jsonb,
    }
}

diesel::table! {
    clerk_load (user_id) {
        user_id -> Uuid,
        open_appeals -> Int4,
    }
}

diesel::table! {
    deadline_alarms (id) {
        id -> Int8,
        appeal_id -> Uuid,
        #[max_length = 8]
        clock -> Varchar,
        due_at -> Timestamptz,
        #[max_length = 10]
        stage -> Varchar,
        #[max_length = 32]
        department_code -> Nullable<Varchar>,
        raised_at -> Timestamptz,
        notified -> Bool,
    }
}

diesel::table! {
    departments (code) {
        #[max_length = 32]
        code -> Varchar,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 24]
        kind -> Varchar,
        #[max_length = 15]
        division_code -> Varchar,
        #[max_length = 254]
        email -> Nullable<Varchar>,
        active -> Bool,
        created_at -> Timestamptz,
        auto_assign -> Bool,
    }
}

diesel::table! {
    divisions (code) {
        #[max_length = 15]
        code -> Varchar,
        #[max_length = 64]
        name -> Varchar,
        #[max_length = 15]
        parent_code -> Nullable<Varchar>,
        level -> Int2,
    }
}

diesel::table! {
    extensions (id) {
        id -> Int8,
        appeal_id -> Uuid,
        #[max_length = 32]
        department_code -> Varchar,
        requested_by -> Uuid,
        #[max_length = 500]
        reason -> Varchar,
        previous_due_at -> Timestamptz,
        requested_until -> Timestamptz,
        #[max_length = 10]
        status -> Varchar,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        #[max_length = 500]
        decision_note -> Nullable<Varchar>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Int8,
        appeal_id -> Uuid,
        #[max_length = 10]
        source -> Varchar,
        recorded_by -> Nullable<Uuid>,
        contacted -> Bool,
        solved -> Bool,
        #[max_length = 20]
        satisfaction -> Varchar,
        #[max_length = 2000]
        comment -> Nullable<Varchar>,
        created_at -> Timestamptz,
        round -> Int4,
    }
}

diesel::table! {
    idempotency_keys (key) {
        #[max_length = 128]
        key -> Varchar,
        #[max_length = 64]
        request_hash -> Bpchar,
        appeal_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notes (id) {
        id -> Int8,
        appeal_id -> Uuid,
        author_id -> Uuid,
        #[max_length = 8]
        visibility -> Varchar,
        #[max_length = 2000]
        content -> Varchar,
        created_at -> Timestamptz,
        #[max_length = 32]
        department_code -> Nullable<Varchar>,
    }
}

diesel::table! {
    open311_requests (token) {
        token -> Uuid,
        appeal_id -> Uuid,
        api_key_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        #[max_length = 24]
        kind -> Varchar,
        #[max_length = 254]
        recipient -> Varchar,
        #[max_length = 300]
        subject -> Varchar,
        body -> Text,
        appeal_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        next_attempt_at -> Timestamptz,
        attempts -> Int4,
        last_attempt_at -> Nullable<Timestamptz>,
        #[max_length = 1000]
        last_error -> Nullable<Varchar>,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    replies (id) {
        id -> Int8,
        appeal_id -> Uuid,
        #[max_length = 32]
        department_code -> Varchar,
        author_id -> Uuid,
        #[max_length = 5000]
        content -> Varchar,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    report_cube (cuboid, day, department_code, district_code, street_code, category_code, channel, appellant_kind) {
        cuboid -> Int2,
        day -> Date,
        department_code -> Text,
        district_code -> Text,
        street_code -> Text,
        category_code -> Text,
        channel -> Text,
        appellant_kind -> Text,
        received -> Int4,
        dispatched -> Int4,
        resolved -> Int4,
        signed -> Int4,
        signed_on_time -> Int4,
        replied -> Int4,
        replied_on_time -> Int4,
        overdue_open -> Int4,
        returned -> Int4,
        rehandled -> Int4,
        followed_up -> Int4,
        handling_minutes -> Int8,
        unrated -> Int4,
        repeats -> Int4,
        contacted_latest -> Int4,
        solved_latest -> Int4,
        very_satisfied_latest -> Int4,
        satisfied_latest -> Int4,
        basically_latest -> Int4,
        contacted_first -> Int4,
        solved_first -> Int4,
        very_satisfied_first -> Int4,
        satisfied_first -> Int4,
        basically_first -> Int4,
    }
}

diesel::table! {
    report_cuboids (mask) {
        mask -> Int2,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ReportRow;

    report_delta (id) {
        id -> Int8,
        sign -> Int2,
        r -> ReportRow,
    }
}

diesel::table! {
    report_meta (singleton) {
        singleton -> Bool,
        #[max_length = 64]
        time_zone -> Varchar,
        built_at -> Timestamptz,
    }
}

diesel::table! {
    routing_rules (id, version) {
        id -> Int8,
        version -> Int4,
        #[max_length = 100]
        name -> Varchar,
        priority -> Int4,
        enabled -> Bool,
        continue_matching -> Bool,
        conditions -> Jsonb,
        action -> Jsonb,
        is_current -> Bool,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        #[max_length = 500]
        note -> Nullable<Varchar>,
    }
}

diesel::table! {
    routing_state (singleton) {
        singleton -> Bool,
        version -> Int8,
    }
}

diesel::table! {
    suspensions (id) {
        id -> Int8,
        appeal_id -> Uuid,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        #[max_length = 500]
        reason -> Varchar,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        #[max_length = 64]
        username -> Varchar,
        password_hash -> Text,
        #[max_length = 64]
        display_name -> Varchar,
        #[max_length = 16]
        role -> Varchar,
        #[max_length = 32]
        department_code -> Nullable<Varchar>,
        active -> Bool,
        created_at -> Timestamptz,
        absent -> Bool,
        #[max_length = 254]
        email -> Nullable<Varchar>,
        failed_logins -> Int2,
        locked_until -> Nullable<Timestamptz>,
        session_version -> Int4,
    }
}

diesel::joinable!(admin_events -> users (actor_id));
diesel::joinable!(api_keys -> users (created_by));
diesel::joinable!(appeals -> categories (category_code));
diesel::joinable!(appeals -> divisions (division_code));
diesel::joinable!(assignments -> appeals (appeal_id));
diesel::joinable!(assignments -> departments (department_code));
diesel::joinable!(attachments -> appeals (appeal_id));
diesel::joinable!(audit_events -> appeals (appeal_id));
diesel::joinable!(audit_events -> users (actor_id));
diesel::joinable!(calendar_days -> users (updated_by));
diesel::joinable!(calendar_settings -> users (updated_by));
diesel::joinable!(category_fields -> categories (category_code));
diesel::joinable!(clerk_load -> users (user_id));
diesel::joinable!(deadline_alarms -> appeals (appeal_id));
diesel::joinable!(deadline_alarms -> departments (department_code));
diesel::joinable!(departments -> divisions (division_code));
diesel::joinable!(extensions -> appeals (appeal_id));
diesel::joinable!(extensions -> departments (department_code));
diesel::joinable!(follow_ups -> appeals (appeal_id));
diesel::joinable!(follow_ups -> users (recorded_by));
diesel::joinable!(idempotency_keys -> appeals (appeal_id));
diesel::joinable!(open311_requests -> api_keys (api_key_id));
diesel::joinable!(open311_requests -> appeals (appeal_id));
diesel::joinable!(notes -> appeals (appeal_id));
diesel::joinable!(notes -> departments (department_code));
diesel::joinable!(notes -> users (author_id));
diesel::joinable!(outbox -> appeals (appeal_id));
diesel::joinable!(replies -> appeals (appeal_id));
diesel::joinable!(replies -> departments (department_code));
diesel::joinable!(replies -> users (author_id));
diesel::joinable!(routing_rules -> users (created_by));
diesel::joinable!(suspensions -> appeals (appeal_id));
diesel::joinable!(users -> departments (department_code));

diesel::allow_tables_to_appear_in_same_query!(
    admin_events,
    api_keys,
    appeals,
    assignments,
    attachments,
    audit_events,
    calendar_days,
    calendar_settings,
    categories,
    category_fields,
    clerk_load,
    deadline_alarms,
    departments,
    divisions,
    extensions,
    follow_ups,
    idempotency_keys,
    notes,
    open311_requests,
    outbox,
    replies,
    report_cube,
    report_cuboids,
    report_delta,
    report_meta,
    routing_rules,
    routing_state,
    suspensions,
    users,
);
