-- Photos a resident attaches when filing (issue 7). Kept in PostgreSQL with the appeal, so any
-- instance serves them, a backup holds them, and they are written in the intake's transaction:
-- an acknowledged appeal has all its photos, a refused one left none.
--
-- The client's file name is not kept anywhere; the content type is the one found from the
-- bytes (JPEG, PNG, WebP), never the one the client sent.
CREATE TABLE attachments (
    id           UUID PRIMARY KEY,
    appeal_id    UUID NOT NULL REFERENCES appeals(id),
    -- the order the photos were sent in, from 1
    position     SMALLINT NOT NULL CHECK (position BETWEEN 1 AND 10),
    content_type VARCHAR(16) NOT NULL
                 CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    byte_size    INTEGER NOT NULL CHECK (byte_size BETWEEN 1 AND 20971520),
    sha256       CHAR(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes        BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CHECK (octet_length(bytes) = byte_size),
    -- also the index for "the photos of an appeal"
    UNIQUE (appeal_id, position)
);

-- JPEG, PNG and WebP are compressed already: store them out of line without trying pglz again.
ALTER TABLE attachments ALTER COLUMN bytes SET STORAGE EXTERNAL;
