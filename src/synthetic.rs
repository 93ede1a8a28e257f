//! `minxin seed --appeals N`: N synthetic appeals over the past year, for demos and benchmarks —
//! skewed categories, heating complaints peaking in the heating season, most closed and rated
//! with a spread of answers, some unrated, some still open and overdue. Generated inside
//! PostgreSQL in batches (one `INSERT … SELECT generate_series` per batch, with its audit events
//! and follow-ups in the same statement), not row by row.
//!
//! Every synthetic appeal has one audit event (`seed`, by `system`, details
//! `{"synthetic":true}`), hashed in SQL exactly as `domain::audit::event_hash` does, so
//! `minxin audit verify` holds. The appeals carry no usable access code.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Rows generated per statement.
pub const BATCH: i64 = 50_000;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Generates `total` appeals; `progress(done, total)` after each batch. The reference data
/// (`minxin seed`) must be loaded.
pub fn generate(
    conn: &mut PgConnection,
    total: i64,
    mut progress: impl FnMut(i64, i64),
) -> anyhow::Result<i64> {
    let streets: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM divisions d JOIN departments p ON p.code = 'st-' || d.code WHERE d.level = 3",
    )
    .get_result::<N>(conn)?
    .n;
    anyhow::ensure!(
        streets > 0,
        "no street offices to dispatch to: load the reference data first (`minxin seed`)"
    );
    // tracking numbers continue after what is there, so runs never collide with each other
    let offset: i64 = diesel::sql_query("SELECT count(*) AS n FROM appeals")
        .get_result::<N>(conn)?
        .n;
    let mut done = 0;
    while done < total {
        let size = BATCH.min(total - done);
        let first = offset + done + 1;
        diesel::sql_query(SQL)
            .bind::<BigInt, _>(first)
            .bind::<BigInt, _>(first + size - 1)
            .execute(conn)?;
        done += size;
        progress(done, total);
    }
    diesel::sql_query("ANALYZE appeals").execute(conn)?;
    Ok(done)
}

/// One batch: appeals `$1..=$2` of the run.
const SQL: &str = r#"
WITH ref AS (
    SELECT
        (SELECT array_agg(c.code ORDER BY c.code) FROM categories c
          WHERE c.active AND c.code NOT LIKE '03.01%'
            AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_code = c.code)) AS other_cats,
        (SELECT array_agg(c.code ORDER BY c.code) FROM categories c
          WHERE c.active AND c.code LIKE '03.01.%'
            AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_code = c.code)) AS heat_cats,
        (SELECT array_agg(d.code ORDER BY d.code) FROM divisions d
          JOIN departments p ON p.code = 'st-' || d.code WHERE d.level = 3) AS streets
),
draw AS (
    SELECT g,
        -- older appeals are rarer than recent ones; a year back at most
        now() - (power(random(), 1.3) * interval '365 days') AS created_at,
        random() AS r_cat, random() AS r_heat, random() AS r_div, random() AS r_state,
        random() AS r_time, random() AS r_answer, random() AS r_sat, random() AS r_kind
    FROM generate_series($1::bigint, $2::bigint) g
),
shaped AS (
    SELECT d.*,
        extract(month FROM d.created_at AT TIME ZONE 'Asia/Shanghai') AS month,
        ref.streets[1 + floor(power(d.r_div, 1.5) * array_length(ref.streets, 1))::int] AS division_code,
        CASE
            -- the heating season (November to March): 4 in 10 appeals are about heating
            WHEN extract(month FROM d.created_at AT TIME ZONE 'Asia/Shanghai') IN (11, 12, 1, 2, 3)
                 AND d.r_heat < 0.4
                THEN ref.heat_cats[1 + floor(d.r_cat * array_length(ref.heat_cats, 1))::int]
            -- otherwise a skewed pick: the first categories are the common ones
            ELSE ref.other_cats[1 + floor(power(d.r_cat, 2.2) * array_length(ref.other_cats, 1))::int]
        END AS category_code,
        extract(epoch FROM now() - d.created_at) / 86400 AS age_days
    FROM draw d, ref
),
planned AS (
    SELECT s.*,
        CASE
            WHEN s.category_code LIKE '03.01%' THEN 'heating'
            ELSE 'st-' || s.division_code
        END AS lead,
        CASE
            WHEN s.age_days < 0.1 THEN 'submitted'
            WHEN s.age_days < 1 AND s.r_state < 0.5 THEN 'dispatched'
            WHEN s.age_days < 10 AND s.r_state < 0.35 THEN 'in_progress'
            WHEN s.age_days < 7 THEN 'resolved'
            WHEN s.r_state < 0.02 THEN 'in_progress'
            ELSE 'closed'
        END AS status,
        s.created_at + (0.05 + s.r_time * 3) * interval '1 hour' AS dispatched_at
    FROM shaped s
),
timed AS (
    SELECT p.*,
        p.dispatched_at + interval '1 day' AS sign_due_at,
        p.dispatched_at + interval '7 days' AS reply_due_at,
        CASE WHEN p.status <> 'submitted' AND p.status <> 'dispatched'
             THEN p.dispatched_at + (0.2 + p.r_time * 30) * interval '1 hour' END AS signed_at,
        CASE WHEN p.status IN ('resolved', 'closed')
             THEN p.dispatched_at + (0.5 + power(p.r_time, 1.5) * 9) * interval '1 day' END AS replied_at
    FROM planned p
),
ins AS (
    INSERT INTO appeals (id, tracking_no, access_code_hash, appellant_kind, kind, channel, title, content,
        category_code, division_code, name, phone, status, lead_department_code, deadline_class,
        dispatched_at, sign_due_at, reply_due_at, signed_at, replied_at, closed_at,
        signed_on_time, replied_on_time, handling_working_minutes, reply_stage, sign_stage,
        follow_up_round, closed_unrated, urgency, pool_reason, pooled_at, created_at, updated_at)
    SELECT gen_random_uuid(),
        'AS' || to_char(t.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad((t.g % 100000000)::text, 8, '0'),
        repeat('0', 64),
        -- citizens only: an enterprise needs a checksummed credit code, not made up here
        'citizen',
        (ARRAY['complaint', 'help', 'consultation', 'report', 'suggestion'])[1 + floor(power(t.r_kind, 1.8) * 5)::int],
        (ARRAY['hotline', 'web', 'app', 'station'])[1 + floor(power(t.r_answer, 2) * 4)::int],
        '合成诉求 ' || t.g, '用于演示和基准测试的合成诉求（synthetic appeal）。',
        t.category_code, t.division_code,
        '合成用户', '138' || lpad((t.g % 100000000)::text, 8, '0'),
        t.status,
        CASE WHEN t.status <> 'submitted' THEN t.lead END,
        CASE WHEN t.status <> 'submitted' THEN 'week' END,
        CASE WHEN t.status <> 'submitted' THEN t.dispatched_at END,
        CASE WHEN t.status <> 'submitted' THEN t.sign_due_at END,
        CASE WHEN t.status <> 'submitted' THEN t.reply_due_at END,
        t.signed_at, t.replied_at,
        CASE WHEN t.status = 'closed' THEN t.replied_at + (0.5 + t.r_sat * 6) * interval '1 day' END,
        CASE WHEN t.signed_at IS NOT NULL THEN t.signed_at <= t.sign_due_at END,
        CASE WHEN t.replied_at IS NOT NULL THEN t.replied_at <= t.reply_due_at END,
        CASE WHEN t.replied_at IS NOT NULL
             THEN (extract(epoch FROM t.replied_at - t.dispatched_at) / 60 * 0.31)::int END,
        CASE WHEN t.status = 'in_progress' AND t.reply_due_at < now() THEN 2 ELSE 0 END,
        0,
        CASE WHEN t.replied_at IS NOT NULL THEN 1 ELSE 0 END,
        t.status = 'closed' AND t.r_answer < 0.12,
        'normal',
        CASE WHEN t.status = 'submitted' THEN 'no_rule' END,
        CASE WHEN t.status = 'submitted' THEN t.created_at END,
        t.created_at, t.created_at
    FROM timed t
    RETURNING id, status, created_at, closed_unrated, closed_at, tracking_no
),
events AS (
    INSERT INTO audit_events (appeal_id, seq, actor_id, actor_role, action, from_status, to_status,
        details, created_at, prev_hash, hash)
    SELECT i.id, 1, NULL, 'system', 'seed', NULL, i.status, '{"synthetic":true}'::jsonb,
        date_trunc('microseconds', i.created_at), NULL,
        encode(sha256(
            int8send(15) || convert_to('minxin-audit-v1', 'UTF8')
            || int8send(0)
            || int8send(16) || uuid_send(i.id)
            || int8send(4) || int4send(1)
            || int8send(0)
            || int8send(6) || convert_to('system', 'UTF8')
            || int8send(4) || convert_to('seed', 'UTF8')
            || int8send(0)
            || int8send(octet_length(convert_to(i.status, 'UTF8'))) || convert_to(i.status, 'UTF8')
            || int8send(18) || convert_to('{"synthetic":true}', 'UTF8')
            || int8send(27) || convert_to(to_char(date_trunc('microseconds', i.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'UTF8')
        ), 'hex')
    FROM ins i
    RETURNING 1
),
answers AS (
    INSERT INTO follow_ups (appeal_id, source, recorded_by, contacted, solved, satisfaction, comment, created_at, round)
    SELECT i.id, 'appellant', NULL,
        random() < 0.93,
        random() < 0.82,
        (ARRAY['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'])[1 + floor(power(random(), 1.6) * 5)::int],
        NULL, i.closed_at, 1
    FROM ins i
    WHERE i.status = 'closed' AND NOT i.closed_unrated
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins) + (SELECT count(*) FROM events) + (SELECT count(*) FROM answers) AS n
"#;
