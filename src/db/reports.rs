//! Report figures computed straight from the appeal tables: one aggregate query per report.
//!
//! Not finished: this reads the appeals received in the period on every request. It is exact
//! (and is meant to stay as the naive reference the tests compare against), but it is not the
//! rollup design issue 6 asks for at 10 million appeals; see docs/METRICS.md.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};

use crate::domain::metrics::Counts;

/// What a report can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Department,
    District,
    Street,
    Category,
    Channel,
    AppellantKind,
    Day,
    Week,
    Month,
}

impl Dimension {
    pub const ALL: [Dimension; 9] = [
        Dimension::Department,
        Dimension::District,
        Dimension::Street,
        Dimension::Category,
        Dimension::Channel,
        Dimension::AppellantKind,
        Dimension::Day,
        Dimension::Week,
        Dimension::Month,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Department => "department",
            Dimension::District => "district",
            Dimension::Street => "street",
            Dimension::Category => "category",
            Dimension::Channel => "channel",
            Dimension::AppellantKind => "appellant_kind",
            Dimension::Day => "day",
            Dimension::Week => "week",
            Dimension::Month => "month",
        }
    }

    /// The field that carries the group's key in a report row.
    pub fn key_field(self) -> &'static str {
        match self {
            Dimension::Department => "department_code",
            Dimension::District => "district_code",
            Dimension::Street => "street_code",
            Dimension::Category => "category_code",
            Dimension::Channel => "channel",
            Dimension::AppellantKind => "appellant_kind",
            Dimension::Day => "day",
            Dimension::Week => "week",
            Dimension::Month => "month",
        }
    }

    pub fn parse(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The SQL of the key over the appeal aliased `a`; `$3` is the calendar's time zone.
    fn sql(self) -> &'static str {
        match self {
            Dimension::Department => "a.lead_department_code",
            Dimension::District => "left(a.division_code, 6)",
            Dimension::Street => {
                "CASE WHEN length(a.division_code) >= 9 THEN left(a.division_code, 9) END"
            }
            Dimension::Category => "a.category_code",
            Dimension::Channel => "a.channel",
            Dimension::AppellantKind => "a.appellant_kind",
            Dimension::Day => "to_char(a.created_at AT TIME ZONE $3, 'YYYY-MM-DD')",
            Dimension::Week => {
                "to_char(date_trunc('week', a.created_at AT TIME ZONE $3), 'IYYY-\"W\"IW')"
            }
            Dimension::Month => "to_char(a.created_at AT TIME ZONE $3, 'YYYY-MM')",
        }
    }
}

/// Which follow-up round of a re-handled appeal the rates count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    Latest,
    First,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    k1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k2: Option<String>,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    dispatched: i64,
    #[diesel(sql_type = BigInt)]
    resolved: i64,
    #[diesel(sql_type = BigInt)]
    signed: i64,
    #[diesel(sql_type = BigInt)]
    signed_on_time: i64,
    #[diesel(sql_type = BigInt)]
    replied: i64,
    #[diesel(sql_type = BigInt)]
    replied_on_time: i64,
    #[diesel(sql_type = BigInt)]
    overdue_open: i64,
    #[diesel(sql_type = BigInt)]
    returned: i64,
    #[diesel(sql_type = BigInt)]
    rehandled: i64,
    #[diesel(sql_type = BigInt)]
    followed_up: i64,
    #[diesel(sql_type = BigInt)]
    handling_minutes: i64,
    #[diesel(sql_type = BigInt)]
    unrated: i64,
    #[diesel(sql_type = BigInt)]
    repeats: i64,
    #[diesel(sql_type = BigInt)]
    valid_follow_ups: i64,
    #[diesel(sql_type = BigInt)]
    contacted: i64,
    #[diesel(sql_type = BigInt)]
    solved: i64,
    #[diesel(sql_type = BigInt)]
    very_satisfied: i64,
    #[diesel(sql_type = BigInt)]
    satisfied: i64,
    #[diesel(sql_type = BigInt)]
    basically_satisfied: i64,
}

/// One group: its keys (one per dimension asked for) and its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCounts {
    pub keys: Vec<Option<String>>,
    pub counts: Counts,
}

/// The counts of the appeals received in `[from, to)` (merged ones counted through their
/// primary, i.e. not at all), grouped by one or two dimensions. Repeats are counted where the
/// repeat was received, grouped by the doubted closure's department when grouping by department.
pub fn summary(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    dims: &[Dimension],
    round: Round,
    tz: &str,
) -> QueryResult<Vec<GroupCounts>> {
    let k1 = dims.first().map_or("NULL::text", |d| d.sql());
    let k2 = dims.get(1).map_or("NULL::text", |d| d.sql());
    // a repeat is held against the department whose closure it doubts
    let rk = |d: Option<&Dimension>| match d {
        Some(Dimension::Department) => "c.lead_department_code".to_owned(),
        Some(d) => d.sql().to_owned(),
        None => "NULL::text".to_owned(),
    };
    let (rk1, rk2) = (rk(dims.first()), rk(dims.get(1)));
    let order = match round {
        Round::Latest => "DESC",
        Round::First => "ASC",
    };
    let sql = format!(
        "WITH base AS (
            SELECT a.*, ({k1})::text AS k1, ({k2})::text AS k2
            FROM appeals a
            WHERE a.created_at >= $1 AND a.created_at < $2 AND a.status <> 'merged'
         ),
         counted AS (
            SELECT DISTINCT ON (f.appeal_id) f.appeal_id, f.contacted, f.solved, f.satisfaction
            FROM follow_ups f JOIN base b ON b.id = f.appeal_id
            ORDER BY f.appeal_id, f.round {order}
         ),
         figures AS (
            SELECT b.k1, b.k2,
                count(*) AS received,
                count(*) FILTER (WHERE b.dispatched_at IS NOT NULL) AS dispatched,
                count(*) FILTER (WHERE b.dispatched_at IS NOT NULL AND b.status IN ('resolved', 'closed')) AS resolved,
                count(b.signed_on_time) AS signed,
                count(*) FILTER (WHERE b.signed_on_time) AS signed_on_time,
                count(b.replied_on_time) AS replied,
                count(*) FILTER (WHERE b.replied_on_time) AS replied_on_time,
                count(*) FILTER (WHERE (b.status = 'dispatched' AND GREATEST(b.sign_stage, b.reply_stage) >= 2)
                                    OR (b.status IN ('in_progress', 'suspended') AND b.reply_stage >= 2)) AS overdue_open,
                count(*) FILTER (WHERE b.return_count > 0) AS returned,
                count(*) FILTER (WHERE b.rehandle_count > 0) AS rehandled,
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM follow_ups f WHERE f.appeal_id = b.id)) AS followed_up,
                coalesce(sum(b.handling_working_minutes) FILTER (WHERE b.replied_on_time IS NOT NULL), 0)::bigint AS handling_minutes,
                count(*) FILTER (WHERE b.closed_unrated) AS unrated,
                count(c.appeal_id) AS valid_follow_ups,
                count(*) FILTER (WHERE c.contacted) AS contacted,
                count(*) FILTER (WHERE c.solved) AS solved,
                count(*) FILTER (WHERE c.satisfaction = 'very_satisfied') AS very_satisfied,
                count(*) FILTER (WHERE c.satisfaction = 'satisfied') AS satisfied,
                count(*) FILTER (WHERE c.satisfaction = 'basically_satisfied') AS basically_satisfied
            FROM base b LEFT JOIN counted c ON c.appeal_id = b.id
            GROUP BY b.k1, b.k2
         ),
         repeats AS (
            SELECT ({rk1})::text AS k1, ({rk2})::text AS k2, count(*) AS repeats
            FROM appeals a JOIN appeals c ON c.id = a.repeat_of
            WHERE a.created_at >= $1 AND a.created_at < $2 AND a.status <> 'merged'
            GROUP BY 1, 2
         )
         SELECT coalesce(f.k1, r.k1) AS k1, coalesce(f.k2, r.k2) AS k2,
             coalesce(f.received, 0) AS received, coalesce(f.dispatched, 0) AS dispatched,
             coalesce(f.resolved, 0) AS resolved, coalesce(f.signed, 0) AS signed,
             coalesce(f.signed_on_time, 0) AS signed_on_time, coalesce(f.replied, 0) AS replied,
             coalesce(f.replied_on_time, 0) AS replied_on_time, coalesce(f.overdue_open, 0) AS overdue_open,
             coalesce(f.returned, 0) AS returned, coalesce(f.rehandled, 0) AS rehandled,
             coalesce(f.followed_up, 0) AS followed_up, coalesce(f.handling_minutes, 0) AS handling_minutes,
             coalesce(f.unrated, 0) AS unrated, coalesce(r.repeats, 0) AS repeats,
             coalesce(f.valid_follow_ups, 0) AS valid_follow_ups, coalesce(f.contacted, 0) AS contacted,
             coalesce(f.solved, 0) AS solved, coalesce(f.very_satisfied, 0) AS very_satisfied,
             coalesce(f.satisfied, 0) AS satisfied, coalesce(f.basically_satisfied, 0) AS basically_satisfied
         FROM figures f FULL JOIN repeats r
             -- keys are never empty strings, so '' stands for no key (a FULL JOIN needs =)
             ON coalesce(r.k1, '') = coalesce(f.k1, '') AND coalesce(r.k2, '') = coalesce(f.k2, '')
         ORDER BY 1 NULLS LAST, 2 NULLS LAST"
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Text, _>(tz)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| GroupCounts {
            keys: [r.k1, r.k2].into_iter().take(dims.len()).collect(),
            counts: Counts {
                received: r.received,
                dispatched: r.dispatched,
                resolved: r.resolved,
                signed: r.signed,
                signed_on_time: r.signed_on_time,
                replied: r.replied,
                replied_on_time: r.replied_on_time,
                overdue_open: r.overdue_open,
                returned: r.returned,
                rehandled: r.rehandled,
                followed_up: r.followed_up,
                handling_minutes: r.handling_minutes,
                unrated: r.unrated,
                repeats: r.repeats,
                valid_follow_ups: r.valid_follow_ups,
                contacted: r.contacted,
                solved: r.solved,
                very_satisfied: r.very_satisfied,
                satisfied: r.satisfied,
                basically_satisfied: r.basically_satisfied,
            },
        })
        .collect())
}

/// One hotspot: a category in a division, with its count in the period and in the one before.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Hotspot {
    #[diesel(sql_type = Text)]
    pub category_code: String,
    #[diesel(sql_type = Text)]
    pub division_code: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub previous: i64,
}

/// Categories × divisions (cut to `division_digits`: 6 district, 9 street) by the number of
/// appeals received in `[from, to)`, with the count of the period of the same length before;
/// merged appeals excluded. The caller ranks them.
pub fn hotspots(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    division_digits: i32,
) -> QueryResult<Vec<Hotspot>> {
    let before = from - (to - from);
    diesel::sql_query(
        "SELECT a.category_code, left(a.division_code, $4) AS division_code,
             count(*) FILTER (WHERE a.created_at >= $2) AS count,
             count(*) FILTER (WHERE a.created_at < $2) AS previous
         FROM appeals a
         WHERE a.created_at >= $1 AND a.created_at < $3 AND a.status <> 'merged'
           AND a.category_code IS NOT NULL AND length(a.division_code) >= $4
         GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<diesel::sql_types::Integer, _>(division_digits)
    .load(conn)
}
