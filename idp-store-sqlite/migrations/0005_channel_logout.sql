-- idp schema, version 5: Front-Channel Logout 1.0 and Back-Channel Logout 1.0.

ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN frontchannel_logout_session_required INTEGER NOT NULL DEFAULT 0
    CHECK (frontchannel_logout_session_required IN (0, 1));
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0
    CHECK (backchannel_logout_session_required IN (0, 1));

-- The clients issued a code in a session, told when the session ends; the
-- rows are taken (read and deleted) then, so each is told once.
CREATE TABLE session_clients (
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    session_id TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, session_id, client_id)
) STRICT, WITHOUT ROWID;
