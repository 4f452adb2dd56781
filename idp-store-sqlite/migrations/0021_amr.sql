-- idp schema, version 21: how a session authenticated (issue 19).
--
-- How a session's user authenticated (RFC 8176 `amr` values, space-separated),
-- copied to every code and refresh token issued in it, so ID tokens report a
-- sign-in through an upstream (`fed github`) as such. Rows from before are
-- password logins.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE codes ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
