-- idp schema, version 20: sign-in analytics (issue 17).
--
-- Every table is one tenant's and cascades from it: deleting a tenant
-- deletes its analytics.
-- * analytics_events: raw sign-in attempts, appended in batches behind
--   the login path; no email typed, no address, no secret. failure is NULL
--   for a success, else the reason's name; user_id is NULL when no account
--   was found. Deleted after the retention period (by time).
-- * analytics_days, analytics_day_counts: one day's roll-up, rebuilt whole
--   by the roll-up job (day = days since 1970-01-01 UTC); day_counts holds
--   failures by reason (kind 'failure') and successful sign-ins by client
--   (kind 'client'). Kept as long as the tenant.
-- * analytics_month_users: who signed in during a month (month = year * 12
--   + month - 1), deleted with the month's raw events; analytics_months:
--   its size, kept.
-- * analytics_rollups: until when the tenant's roll-ups were last rebuilt.
-- users_by_created_at counts a day's sign-ups without a scan.
CREATE TABLE analytics_events (
    tenant_id TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    time      INTEGER NOT NULL,
    failure   TEXT,
    client_id TEXT,
    method    TEXT    NOT NULL,
    user_id   TEXT
) STRICT;
CREATE INDEX analytics_events_by_time ON analytics_events (tenant_id, time);

CREATE TABLE analytics_days (
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day          INTEGER NOT NULL,
    logins       INTEGER NOT NULL,
    signups      INTEGER NOT NULL,
    active_users INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_day_counts (
    tenant_id TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('failure', 'client')),
    key       TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, kind, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_month_users (
    tenant_id TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    month     INTEGER NOT NULL,
    user_id   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, month, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_months (
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    month        INTEGER NOT NULL,
    active_users INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, month)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_rollups (
    tenant_id   TEXT    NOT NULL PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    rolled_until INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX users_by_created_at ON users (tenant_id, created_at);
