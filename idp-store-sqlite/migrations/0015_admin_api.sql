-- idp schema, version 15: the admin REST API (issue 16).
--
-- audit_events: one row per administrative change, written in the
-- change's transaction. Append-only (a trigger refuses UPDATE); DELETE
-- stays for the retention purge. No foreign key to tenants: a deleted
-- tenant's events stay, naming its slug. Lists page on id, filtered by
-- tenant slug, actor or time; the purge goes oldest first by time.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time        INTEGER NOT NULL,
    actor_kind  TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL,
    actor_name  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    tenant      TEXT,
    tenant_id   TEXT,
    target_kind TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    address     TEXT,
    request_id  TEXT,
    changes     TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_events_by_tenant ON audit_events (tenant, id);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_by_time ON audit_events (time);

CREATE TRIGGER audit_events_are_append_only BEFORE UPDATE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Application roles per tenant, and their assignments to users: deleting
-- a tenant, a user or a role deletes the assignments that name it.
CREATE TABLE roles (
    tenant_id   TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_roles (
    tenant_id   TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role) REFERENCES roles(tenant_id, name) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Deleting a role finds its assignments by this index.
CREATE INDEX user_roles_by_role ON user_roles (tenant_id, role);

-- Admin API keys issued (the keys themselves are never stored), and the
-- platform's sealed root key: one row, the first stored wins.
CREATE TABLE api_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    tenant        TEXT,
    read_only     INTEGER NOT NULL CHECK (read_only IN (0, 1)),
    expires_at    INTEGER,
    revocation_id TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
) STRICT;

CREATE TABLE api_key_root (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB    NOT NULL
) STRICT;

-- Idempotency-Key records: claimed (status NULL, body empty), then
-- completed with the response; the purge finds expired ones by the index.
CREATE TABLE idempotency_keys (
    scope       TEXT    NOT NULL PRIMARY KEY,
    fingerprint TEXT    NOT NULL,
    status      INTEGER,
    body        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
