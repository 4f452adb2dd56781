-- idp schema, version 23: upstream-only tenants (issue 19).
--
-- Whether users may sign in with a password on the tenant's login page;
-- 0 leaves only "Continue with" an upstream. Every tenant from before
-- keeps its password form.
ALTER TABLE tenants ADD COLUMN password_login INTEGER NOT NULL DEFAULT 1
    CHECK (password_login IN (0, 1));
