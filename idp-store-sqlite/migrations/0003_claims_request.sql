-- idp schema, version 3: the `claims` request parameter (OIDC Core §5.5)
-- travels with the code and the refresh tokens of its grant.

ALTER TABLE codes ADD COLUMN claims TEXT;
ALTER TABLE refresh_tokens ADD COLUMN claims TEXT;
