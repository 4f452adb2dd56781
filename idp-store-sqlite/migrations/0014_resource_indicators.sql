-- idp schema, version 14: the resource indicators (RFC 8707) of an
-- authorization travel with its code and the refresh tokens of its grant,
-- space-separated absolute URIs; NULL when none was asked for.

ALTER TABLE codes ADD COLUMN resource TEXT;
ALTER TABLE refresh_tokens ADD COLUMN resource TEXT;
