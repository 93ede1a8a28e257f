-- Open311 GeoReport v2 (issue 8): keys for integrations, the request each integration filed,
-- and the extra fields a category asks for (a GeoReport service definition's attributes).

-- A key is shown once when an administrator issues it; only its SHA-256 is kept (keys are 192
-- random bits, so a fast hash is enough: nothing to guess from it). The prefix names the key in
-- lists and logs without revealing it.
CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    name         VARCHAR(100) NOT NULL CHECK (length(btrim(name)) > 0),
    key_prefix   VARCHAR(16) NOT NULL,
    key_hash     CHAR(64) NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    created_by   UUID REFERENCES users(id),
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);

-- Which integration filed which appeal, and the token GET tokens/{token} answers for. Written
-- in the intake's transaction.
CREATE TABLE open311_requests (
    token      UUID PRIMARY KEY,
    appeal_id  UUID NOT NULL UNIQUE REFERENCES appeals(id),
    api_key_id UUID NOT NULL REFERENCES api_keys(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX open311_requests_key_idx ON open311_requests (api_key_id);

-- 附加信息: the fields a category asks for beyond the common form (the indoor temperature of a
-- heating complaint, the amount of unpaid wages). Open311 clients read them as the service
-- definition's attributes; the answers are kept with the appeal's text.
CREATE TABLE category_fields (
    category_code VARCHAR(32) NOT NULL REFERENCES categories(code),
    code          VARCHAR(32) NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    datatype      VARCHAR(16) NOT NULL
                  CHECK (datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist')),
    required      BOOLEAN NOT NULL DEFAULT FALSE,
    -- the question as shown to the resident
    description   VARCHAR(200) NOT NULL CHECK (length(btrim(description)) > 0),
    -- what a valid answer looks like (units, range)
    datatype_description VARCHAR(200),
    position      SMALLINT NOT NULL CHECK (position > 0),
    -- for the list types: [{"key": "…", "name": "…"}, …]
    choices       JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(choices) = 'array'),
    PRIMARY KEY (category_code, code)
);
