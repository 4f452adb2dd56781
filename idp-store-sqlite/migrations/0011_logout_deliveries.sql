-- idp schema, version 11: back-channel logout deliveries that failed and
-- wait for another attempt (idp-core logout_retry). No token is stored:
-- each attempt signs a fresh Logout Token for (session_id, user_id).
-- A row is claimed by moving next_attempt_at ahead and counting the
-- attempt; the claimer finishes it only while attempts is what it set.

CREATE TABLE logout_deliveries (
    tenant_id       TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id              TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    uri             TEXT    NOT NULL,
    session_id      TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- Claims look for due rows; a full queue drops its oldest.
CREATE INDEX logout_deliveries_due ON logout_deliveries (tenant_id, next_attempt_at);
CREATE INDEX logout_deliveries_by_age ON logout_deliveries (tenant_id, created_at);
