-- idp schema, version 18: tiers (issue 17).
--
-- tiers: named limits an operator assigns to tenants; a NULL limit is
-- unlimited. tenants.tier names at most one (NULL: none, unlimited). No
-- foreign key (SQLite cannot drop a column that has one): the store checks
-- the tier exists on assignment and refuses deleting one a tenant names,
-- in the one-writer IMMEDIATE transaction, which makes both atomic.
-- What the limits count is counted on existing indexes: users and clients
-- by their (tenant_id, …) keys, live API keys by api_keys_by_tenant.
CREATE TABLE tiers (
    name          TEXT    NOT NULL PRIMARY KEY,
    max_users     INTEGER CHECK (max_users IS NULL OR max_users >= 0),
    max_clients   INTEGER CHECK (max_clients IS NULL OR max_clients >= 0),
    max_upstreams INTEGER CHECK (max_upstreams IS NULL OR max_upstreams >= 0),
    max_api_keys  INTEGER CHECK (max_api_keys IS NULL OR max_api_keys >= 0),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

ALTER TABLE tenants ADD COLUMN tier TEXT;
CREATE INDEX tenants_by_tier ON tenants (tier) WHERE tier IS NOT NULL;
CREATE INDEX api_keys_by_tenant ON api_keys (tenant) WHERE revoked_at IS NULL;
