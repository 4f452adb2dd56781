-- idp schema, version 4: dynamic client registration (RFC 7591/7592).

ALTER TABLE tenants ADD COLUMN dynamic_registration INTEGER NOT NULL DEFAULT 0
    CHECK (dynamic_registration IN (0, 1));
ALTER TABLE clients ADD COLUMN registration_token_hash BLOB
    CHECK (registration_token_hash IS NULL OR length(registration_token_hash) = 32);
ALTER TABLE clients ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
