-- idp schema for PostgreSQL, version 6: the platform's settings (issue 17,
-- sign-up).
--
-- One row (id = 1), absent until an operator first changes a setting; the
-- core's defaults apply until then. signup: who may sign up at /signup
-- (closed, approval, open: idp_core::signup::SignupMode's wire names).
-- The row belongs to no tenant: like the API keys, it is visible only
-- under `idp.registry = 'on'` (the platform's scope).
CREATE TABLE platform_settings (
    id         integer PRIMARY KEY CHECK (id = 1),
    signup     text NOT NULL CHECK (signup IN ('closed', 'approval', 'open')),
    updated_at bigint
);
ALTER TABLE platform_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON platform_settings
    USING (current_setting('idp.registry', true) = 'on')
    WITH CHECK (current_setting('idp.registry', true) = 'on');
