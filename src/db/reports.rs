//! Report figures, two ways.
//!
//! - From the rollups (`*_cube`): the per-day cube of migration 000005 plus the log of changes
//!   not yet folded into it, read in one snapshot — exact the moment a change commits, and cheap
//!   whatever the number of appeals (a year by department reads about 365 × departments rows).
//! - Naively (`*_naive`): one aggregate query over the appeal tables. Exact and slow; the
//!   reference the tests compare the cube against, and the fallback while the cube is in another
//!   time zone than the working calendar (until `minxin reports rebuild`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, SmallInt, Text, Timestamptz};

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

    /// The dimension's bit in a cube row's `cuboid` (0 for the time dimensions, which come from
    /// the row's day).
    fn bit(self) -> i16 {
        match self {
            Dimension::Department => 1,
            Dimension::District => 2,
            Dimension::Street => 4,
            Dimension::Category => 8,
            Dimension::Channel => 16,
            Dimension::AppellantKind => 32,
            Dimension::Day | Dimension::Week | Dimension::Month => 0,
        }
    }

    /// The SQL of the key over a cube (or log) row's columns; '' stands for none.
    fn cube_sql(self) -> &'static str {
        match self {
            Dimension::Department => "NULLIF(department_code, '')",
            Dimension::District => "NULLIF(district_code, '')",
            Dimension::Street => "NULLIF(street_code, '')",
            Dimension::Category => "NULLIF(category_code, '')",
            Dimension::Channel => "channel",
            Dimension::AppellantKind => "appellant_kind",
            Dimension::Day => "to_char(day, 'YYYY-MM-DD')",
            Dimension::Week => "to_char(day, 'IYYY-\"W\"IW')",
            Dimension::Month => "to_char(day, 'YYYY-MM')",
        }
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

impl Row {
    fn group(self, dims: usize) -> GroupCounts {
        GroupCounts {
            keys: [self.k1, self.k2].into_iter().take(dims).collect(),
            counts: Counts {
                received: self.received,
                dispatched: self.dispatched,
                resolved: self.resolved,
                signed: self.signed,
                signed_on_time: self.signed_on_time,
                replied: self.replied,
                replied_on_time: self.replied_on_time,
                overdue_open: self.overdue_open,
                returned: self.returned,
                rehandled: self.rehandled,
                followed_up: self.followed_up,
                handling_minutes: self.handling_minutes,
                unrated: self.unrated,
                repeats: self.repeats,
                valid_follow_ups: self.valid_follow_ups,
                contacted: self.contacted,
                solved: self.solved,
                very_satisfied: self.very_satisfied,
                satisfied: self.satisfied,
                basically_satisfied: self.basically_satisfied,
            },
        }
    }
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
pub fn summary_naive(
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
    Ok(rows.into_iter().map(|r| r.group(dims.len())).collect())
}

/// The count columns of the cube and of a log row, in `Row`'s order; `{r}` is the prefix of a
/// log row's fields (`(r).`), `{s}` the sign factor, `{round}` the counted round's suffix.
const COUNTS: &str = "received, dispatched, resolved, signed, signed_on_time, replied, replied_on_time, \
    overdue_open, returned, rehandled, followed_up, handling_minutes, unrated, repeats, \
    followed_up AS valid_follow_ups, contacted_{round} AS contacted, solved_{round} AS solved, \
    very_satisfied_{round} AS very_satisfied, satisfied_{round} AS satisfied, \
    basically_{round} AS basically_satisfied";

const KEYS: &str =
    "day, department_code, district_code, street_code, category_code, channel, appellant_kind";

/// The rows of cuboid `$1` for the days `$2..=$3` — the whole months `$4..=$5` from its monthly
/// cells (cuboid + 64), the other days from its daily ones — and the log's rows of those days,
/// as one relation `src` with the cube's column names (the log's counts signed).
fn cube_source(round: Round) -> String {
    let suffix = match round {
        Round::Latest => "latest",
        Round::First => "first",
    };
    let counts = COUNTS.replace("{round}", suffix);
    let log_counts = counts
        .split(", ")
        .map(|c| {
            let (col, alias) = c.split_once(" AS ").unwrap_or((c, c));
            format!("sign * (r).{col} AS {alias}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let log_keys = KEYS
        .split(", ")
        .map(|k| format!("(r).{k} AS {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "src AS (
            SELECT {KEYS}, {counts} FROM report_cube
            WHERE (cuboid = $1 AND day BETWEEN $2 AND $3 AND NOT day BETWEEN $4 AND $5)
               OR (cuboid = $1 + 64 AND day BETWEEN $4 AND $5)
            UNION ALL
            SELECT {log_keys}, {log_counts} FROM report_delta
            WHERE (r).day BETWEEN $2 AND $3
        )"
    )
}

/// An empty range of months (dates PostgreSQL takes).
const NO_MONTHS: (NaiveDate, NaiveDate) = (
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date"),
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a date"),
);

/// The whole months within `first..=last` (their first and last day), when the grouping may use
/// monthly cells (no day or week key); else an empty range.
fn whole_months(first: NaiveDate, last: NaiveDate, dims: &[Dimension]) -> (NaiveDate, NaiveDate) {
    use chrono::{Datelike, Months};
    let none = NO_MONTHS;
    if dims
        .iter()
        .any(|d| matches!(d, Dimension::Day | Dimension::Week))
    {
        return none;
    }
    let month_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let start = if first.day() == 1 {
        Some(first)
    } else {
        month_of(first).checked_add_months(Months::new(1))
    };
    let after = last.succ_opt().map(month_of);
    match (start, after.and_then(|a| a.pred_opt())) {
        (Some(s), Some(e)) if s <= e => (s, e),
        _ => none,
    }
}

/// The cuboid that answers a grouping: the one keeping exactly its keys where there is one,
/// else the one keeping all keys.
fn cuboid_for(dims: &[Dimension]) -> i16 {
    let mask = dims.iter().fold(0, |m, d| m | d.bit());
    let keys = dims.iter().filter(|d| d.bit() != 0).count();
    match (keys, mask) {
        (0 | 1, m) | (2, m @ (10 | 12)) => m,
        _ => 63,
    }
}

/// Whether the cube's days are those of the time zone `tz` (else it needs `minxin reports
/// rebuild`, and reports are computed naively meanwhile).
pub fn cube_matches(conn: &mut PgConnection, tz: &str) -> QueryResult<bool> {
    use super::schema::report_meta;
    let zone: Option<String> = report_meta::table
        .select(report_meta::time_zone)
        .first(conn)
        .optional()?;
    Ok(zone.as_deref() == Some(tz))
}

/// `summary_naive` from the cube: the same groups and counts for the appeals received on the
/// local days `first..=last`.
pub fn summary_cube(
    conn: &mut PgConnection,
    first: NaiveDate,
    last: NaiveDate,
    dims: &[Dimension],
    round: Round,
) -> QueryResult<Vec<GroupCounts>> {
    let k1 = dims.first().map_or("NULL::text", |d| d.cube_sql());
    let k2 = dims.get(1).map_or("NULL::text", |d| d.cube_sql());
    let sums = [
        "received",
        "dispatched",
        "resolved",
        "signed",
        "signed_on_time",
        "replied",
        "replied_on_time",
        "overdue_open",
        "returned",
        "rehandled",
        "followed_up",
        "handling_minutes",
        "unrated",
        "repeats",
        "valid_follow_ups",
        "contacted",
        "solved",
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
    ]
    .map(|c| format!("coalesce(sum({c}), 0)::bigint AS {c}"))
    .join(", ");
    let sql = format!(
        "WITH {src}
         SELECT ({k1})::text AS k1, ({k2})::text AS k2, {sums}
         FROM src
         GROUP BY 1, 2
         HAVING sum(received) <> 0 OR sum(repeats) <> 0
         ORDER BY 1 NULLS LAST, 2 NULLS LAST",
        src = cube_source(round)
    );
    let (months_from, months_to) = whole_months(first, last, dims);
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<SmallInt, _>(cuboid_for(dims))
        .bind::<Date, _>(first)
        .bind::<Date, _>(last)
        .bind::<Date, _>(months_from)
        .bind::<Date, _>(months_to)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.group(dims.len())).collect())
}

/// `hotspots_naive` from the cube: categories × districts (`division_digits` 6) or streets (9)
/// with their counts on the days `first..=last` and on the days `previous..first`.
pub fn hotspots_cube(
    conn: &mut PgConnection,
    previous: NaiveDate,
    first: NaiveDate,
    last: NaiveDate,
    division_digits: i32,
) -> QueryResult<Vec<Hotspot>> {
    let (cuboid, division) = if division_digits >= 9 {
        (12, "street_code")
    } else {
        (10, "district_code")
    };
    let sql = format!(
        "WITH {src}
         SELECT category_code, {division} AS division_code,
             coalesce(sum(received) FILTER (WHERE day >= $6), 0)::bigint AS count,
             coalesce(sum(received) FILTER (WHERE day < $6), 0)::bigint AS previous
         FROM src
         WHERE category_code <> '' AND {division} <> ''
         GROUP BY 1, 2
         HAVING sum(received) <> 0",
        src = cube_source(Round::Latest)
    );
    let (months_from, months_to) = whole_months(previous, last, &[]);
    diesel::sql_query(sql)
        .bind::<SmallInt, _>(cuboid)
        .bind::<Date, _>(previous)
        .bind::<Date, _>(last)
        .bind::<Date, _>(months_from)
        .bind::<Date, _>(months_to)
        .bind::<Date, _>(first)
        .load(conn)
}

/// Folds the log of changes into the cube; the number of log rows folded (0 when another
/// folder is at it).
pub fn fold(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Folded {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    Ok(diesel::sql_query("SELECT report_fold() AS n")
        .get_result::<Folded>(conn)?
        .n)
}

/// Rebuilds the cube from the appeals in the working calendar's time zone; the number of
/// appeals' contributions summed. Appeal writes wait until it commits.
pub fn rebuild(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Built {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    conn.build_transaction().repeatable_read().run(|conn| {
        diesel::sql_query("LOCK TABLE report_meta IN ACCESS EXCLUSIVE MODE").execute(conn)?;
        Ok(diesel::sql_query("SELECT report_rebuild() AS n")
            .get_result::<Built>(conn)?
            .n)
    })
}

/// Recomputes the cube's days `first..=last` from the appeals (after a bulk load that wrote no
/// log); the number of appeals' contributions summed.
pub fn refresh(conn: &mut PgConnection, first: NaiveDate, last: NaiveDate) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Built {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    conn.build_transaction().repeatable_read().run(|conn| {
        Ok(diesel::sql_query("SELECT report_refresh($1, $2) AS n")
            .bind::<Date, _>(first)
            .bind::<Date, _>(last)
            .get_result::<Built>(conn)?
            .n)
    })
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
/// appeals received in `[from, to)`, beside the number received in `[previous, from)`; merged
/// appeals excluded. The caller ranks them.
pub fn hotspots_naive(
    conn: &mut PgConnection,
    previous: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    division_digits: i32,
) -> QueryResult<Vec<Hotspot>> {
    diesel::sql_query(
        "SELECT a.category_code, left(a.division_code, $4) AS division_code,
             count(*) FILTER (WHERE a.created_at >= $2) AS count,
             count(*) FILTER (WHERE a.created_at < $2) AS previous
         FROM appeals a
         WHERE a.created_at >= $1 AND a.created_at < $3 AND a.status <> 'merged'
           AND a.category_code IS NOT NULL AND length(a.division_code) >= $4
         GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(previous)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Integer, _>(division_digits)
    .load(conn)
}

/// Compares every cuboid of the cube with `summary_naive` over every appeal — each single key by
/// day, the pairs over the whole span; the first difference found, or `None` when they agree.
pub fn verify(conn: &mut PgConnection, round: Round) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Span {
        #[diesel(sql_type = Text)]
        tz: String,
        #[diesel(sql_type = Nullable<Date>)]
        first: Option<NaiveDate>,
        #[diesel(sql_type = Nullable<Date>)]
        last: Option<NaiveDate>,
        #[diesel(sql_type = Timestamptz)]
        from: DateTime<Utc>,
        #[diesel(sql_type = Timestamptz)]
        to: DateTime<Utc>,
    }
    // one snapshot for both ways of counting
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let span: Span = diesel::sql_query(
                "SELECT m.time_zone AS tz, s.first, s.last,
                 coalesce(s.first::timestamp AT TIME ZONE m.time_zone, now()) AS from,
                 coalesce((s.last + 1)::timestamp AT TIME ZONE m.time_zone, now()) AS to
             FROM report_meta m,
                 LATERAL (SELECT (min(created_at) AT TIME ZONE m.time_zone)::date AS first,
                                 (max(created_at) AT TIME ZONE m.time_zone)::date AS last
                          FROM appeals) s",
            )
            .get_result(conn)?;
            let (Some(first), Some(last)) = (span.first, span.last) else {
                return Ok(None);
            };
            use Dimension::*;
            let mut groupings: Vec<Vec<Dimension>> = [
                Department,
                District,
                Street,
                Category,
                Channel,
                AppellantKind,
            ]
            .into_iter()
            .map(|d| vec![d, Day])
            .collect();
            groupings.extend([
                vec![Day],
                vec![Category, District],
                vec![Category, Street],
                vec![Department, Channel],
            ]);
            for dims in groupings {
                let cube = summary_cube(conn, first, last, &dims, round)?;
                let naive = summary_naive(conn, span.from, span.to, &dims, round, &span.tz)?;
                if let Some(difference) = first_difference(&cube, &naive) {
                    let by = dims
                        .iter()
                        .map(|d| d.name())
                        .collect::<Vec<_>>()
                        .join(" × ");
                    return Ok(Some(format!("by {by}: {difference}")));
                }
            }
            Ok(None)
        })
}

/// The first group whose counts differ between two reports (by keys), described.
pub fn first_difference(cube: &[GroupCounts], naive: &[GroupCounts]) -> Option<String> {
    use std::collections::BTreeMap;
    let index = |groups: &[GroupCounts]| {
        groups
            .iter()
            .map(|g| (g.keys.clone(), g.counts))
            .collect::<BTreeMap<_, _>>()
    };
    let (cube, naive) = (index(cube), index(naive));
    let keys: std::collections::BTreeSet<_> = cube.keys().chain(naive.keys()).collect();
    keys.into_iter().find_map(|k| {
        let (c, n) = (cube.get(k), naive.get(k));
        (c != n).then(|| format!("group {k:?}: rollups {c:?}, appeal tables {n:?}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn whole_months_are_the_months_a_period_covers_entirely() {
        let by = [Dimension::Department];
        assert_eq!(
            whole_months(d(2026, 1, 1), d(2026, 3, 31), &by),
            (d(2026, 1, 1), d(2026, 3, 31))
        );
        assert_eq!(
            whole_months(d(2025, 11, 24), d(2026, 11, 23), &by),
            (d(2025, 12, 1), d(2026, 10, 31))
        );
        assert_eq!(
            whole_months(d(2026, 2, 1), d(2026, 2, 28), &[Dimension::Month]),
            (d(2026, 2, 1), d(2026, 2, 28))
        );
        // no whole month; or a grouping by day or week, which needs the days
        let none = NO_MONTHS;
        assert_eq!(whole_months(d(2026, 2, 2), d(2026, 3, 30), &by), none);
        assert_eq!(whole_months(d(2026, 3, 5), d(2026, 3, 6), &by), none);
        assert_eq!(
            whole_months(d(2026, 1, 1), d(2026, 3, 31), &[Dimension::Week]),
            none
        );
    }

    #[test]
    fn a_grouping_reads_the_smallest_cuboid_that_has_its_keys() {
        use Dimension::*;
        assert_eq!(cuboid_for(&[Month]), 0);
        assert_eq!(cuboid_for(&[Department, Month]), 1);
        assert_eq!(cuboid_for(&[Category, District]), 10);
        assert_eq!(cuboid_for(&[Street, Category]), 12);
        assert_eq!(cuboid_for(&[Department, Category]), 63);
    }
}
