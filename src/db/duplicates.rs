//! Probable duplicates by text similarity (pg_trgm), and the appeals merged into a primary.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::models::Appeal;
use super::schema::appeals;

/// Another appeal that may be about the same matter. No personal data.
#[derive(Debug, Clone, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub tracking_no: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lead_department_code: Option<String>,
    /// pg_trgm similarity of `title || ' ' || content`, 0–1
    #[diesel(sql_type = Double)]
    pub similarity: f64,
}

/// What to look for and how far.
pub struct Search<'a> {
    pub appeal: &'a Appeal,
    /// closed appeals closed before this are no longer candidates
    pub closed_since: DateTime<Utc>,
    pub threshold: f64,
    pub limit: i64,
}

/// Appeals of the same category and division as `search.appeal`, open or closed since
/// `closed_since` (never rejected or merged), whose text is at least `threshold` similar to its
/// own; most similar first. An appeal without a category has none. The category and division
/// narrow the candidates on `appeals_category_division_idx` before any similarity is computed.
pub fn probable(conn: &mut PgConnection, search: &Search<'_>) -> QueryResult<Vec<Candidate>> {
    let appeal = search.appeal;
    let Some(category) = appeal.category_code.as_deref() else {
        return Ok(Vec::new());
    };
    let text = format!("{} {}", appeal.title, appeal.content);
    diesel::sql_query(
        "SELECT c.id, c.tracking_no, c.status, c.title, c.created_at, c.lead_department_code, c.similarity \
         FROM ( \
             SELECT a.id, a.tracking_no::text AS tracking_no, a.status::text AS status, \
                    a.title::text AS title, a.created_at, \
                    a.lead_department_code::text AS lead_department_code, \
                    similarity(a.title || ' ' || a.content, $1)::float8 AS similarity \
             FROM appeals a \
             WHERE a.category_code = $2 AND a.division_code = $3 AND a.id <> $4 \
               AND a.merged_into IS NULL \
               AND (a.status NOT IN ('closed', 'rejected', 'merged') \
                    OR (a.status = 'closed' AND a.closed_at >= $5)) \
         ) c \
         WHERE c.similarity >= $6 \
         ORDER BY c.similarity DESC, c.created_at DESC, c.id \
         LIMIT $7",
    )
    .bind::<Text, _>(text)
    .bind::<Text, _>(category)
    .bind::<Text, _>(&appeal.division_code)
    .bind::<SqlUuid, _>(appeal.id)
    .bind::<Timestamptz, _>(search.closed_since)
    .bind::<Double, _>(search.threshold)
    .bind::<BigInt, _>(search.limit)
    .load(conn)
}

/// How many appeals are merged into `primary`.
pub fn merged_into_count(conn: &mut PgConnection, primary: Uuid) -> QueryResult<i64> {
    appeals::table
        .filter(appeals::merged_into.eq(primary))
        .count()
        .get_result(conn)
}

/// The appeals merged into `primary` whose appellant gave an e-mail address, oldest first.
pub fn merged_with_email(conn: &mut PgConnection, primary: Uuid) -> QueryResult<Vec<Appeal>> {
    appeals::table
        .filter(appeals::merged_into.eq(primary))
        .filter(appeals::email.is_not_null())
        .order((appeals::created_at.asc(), appeals::id.asc()))
        .select(Appeal::as_select())
        .load(conn)
}

#[derive(QueryableByName)]
struct Sees {
    #[diesel(sql_type = Bool)]
    sees: bool,
}

/// Whether pg_trgm finds trigrams in Chinese text in this database. It does not when the
/// database's LC_CTYPE is `C` (or `POSIX`): it then takes only ASCII letters and digits for word
/// characters, and duplicate suggestions match on little more than house numbers.
pub fn trigrams_see_chinese(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::sql_query("SELECT cardinality(show_trgm('供热管网')) > 0 AS sees")
        .get_result::<Sees>(conn)
        .map(|s| s.sees)
}
