-- idp schema, version 10: upstream-only tenants (issue 19).
--
-- Whether users may sign in with a password on the tenant's login page;
-- false leaves only "Continue with" an upstream. Every tenant from before
-- keeps its password form.
ALTER TABLE tenants ADD COLUMN password_login boolean NOT NULL DEFAULT true;
