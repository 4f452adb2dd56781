-- idp schema for PostgreSQL, version 7: sign-in analytics (issue 17).
--
-- Every table is tenant data (ADR 0027): tenant_id first, cascading from
-- tenants (deleting a tenant deletes its analytics), the usual policy on
-- `idp.tenant`.
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
    tenant_id text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id        bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time      bigint NOT NULL,
    failure   text,
    client_id text,
    method    text   NOT NULL,
    user_id   text
);
CREATE INDEX analytics_events_by_time ON analytics_events (tenant_id, time);

CREATE TABLE analytics_days (
    tenant_id    text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day          bigint NOT NULL,
    logins       bigint NOT NULL,
    signups      bigint NOT NULL,
    active_users bigint NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

CREATE TABLE analytics_day_counts (
    tenant_id text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day       bigint NOT NULL,
    kind      text   NOT NULL CHECK (kind IN ('failure', 'client')),
    key       text   NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, kind, key)
);

CREATE TABLE analytics_month_users (
    tenant_id text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    month     bigint NOT NULL,
    user_id   text   NOT NULL,
    PRIMARY KEY (tenant_id, month, user_id)
);

CREATE TABLE analytics_months (
    tenant_id    text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    month        bigint NOT NULL,
    active_users bigint NOT NULL,
    PRIMARY KEY (tenant_id, month)
);

CREATE TABLE analytics_rollups (
    tenant_id    text   NOT NULL PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    rolled_until bigint NOT NULL
);

CREATE INDEX users_by_created_at ON users (tenant_id, created_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['analytics_events', 'analytics_days', 'analytics_day_counts',
        'analytics_month_users', 'analytics_months', 'analytics_rollups']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I
               USING (tenant_id = current_setting(''idp.tenant'', true))
               WITH CHECK (tenant_id = current_setting(''idp.tenant'', true))', t);
    END LOOP;
END $$;
