//! The photos filed with an appeal (`attachments`): written in the intake's transaction, listed
//! without their bytes, read one at a time to be served.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::attachments;
use crate::domain::photo::Photo;

/// A stored photo without its bytes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments, check_for_backend(diesel::pg::Pg))]
pub struct AttachmentMeta {
    pub id: Uuid,
    pub appeal_id: Uuid,
    pub position: i16,
    pub content_type: String,
    pub byte_size: i32,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// A stored photo's type and bytes, to serve it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments, check_for_backend(diesel::pg::Pg))]
pub struct AttachmentBytes {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Insertable)]
#[diesel(table_name = attachments)]
struct NewAttachment<'a> {
    id: Uuid,
    appeal_id: Uuid,
    position: i16,
    content_type: &'static str,
    byte_size: i32,
    sha256: &'a str,
    bytes: &'a [u8],
    created_at: DateTime<Utc>,
}

/// Stores `photos` of the appeal in the order given; in the caller's transaction.
pub fn insert(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    photos: &[Photo],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let mut written = 0;
    // one row per statement: a bound parameter list of several 5 MB photos gains nothing
    for (i, photo) in photos.iter().enumerate() {
        written += diesel::insert_into(attachments::table)
            .values(NewAttachment {
                id: Uuid::new_v4(),
                appeal_id,
                position: i16::try_from(i + 1).unwrap_or(i16::MAX),
                content_type: photo.kind.mime(),
                byte_size: i32::try_from(photo.bytes.len()).unwrap_or(i32::MAX),
                sha256: &photo.sha256,
                bytes: &photo.bytes,
                created_at: now,
            })
            .execute(conn)?;
    }
    Ok(written)
}

/// The appeal's photos in the order they were sent, without their bytes.
pub fn list_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<Vec<AttachmentMeta>> {
    attachments::table
        .filter(attachments::appeal_id.eq(appeal_id))
        .order(attachments::position.asc())
        .select(AttachmentMeta::as_select())
        .load(conn)
}

/// How many photos the appeal has.
pub fn count_of(conn: &mut PgConnection, appeal_id: Uuid) -> QueryResult<i64> {
    attachments::table
        .filter(attachments::appeal_id.eq(appeal_id))
        .count()
        .get_result(conn)
}

/// One photo of one appeal (a photo id of another appeal is not found).
pub fn find_bytes(
    conn: &mut PgConnection,
    appeal_id: Uuid,
    photo_id: Uuid,
) -> QueryResult<Option<AttachmentBytes>> {
    attachments::table
        .filter(attachments::id.eq(photo_id))
        .filter(attachments::appeal_id.eq(appeal_id))
        .select(AttachmentBytes::as_select())
        .first(conn)
        .optional()
}
