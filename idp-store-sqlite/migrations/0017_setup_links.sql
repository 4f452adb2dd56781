-- idp schema, version 17: one-time set-up links (issue 17). The platform
-- owner created without a password chooses one through a link valid one
-- hour and once. Only the token's SHA-256 is stored. Deleting the user or
-- the tenant deletes their links.
CREATE TABLE setup_links (
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- Whether a user has a live link (at every start while the owner has no
-- password).
CREATE INDEX setup_links_by_user ON setup_links (tenant_id, user_id, expires_at);
