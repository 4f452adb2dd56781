-- idp schema, version 13: the web origins a client's browser app calls the
-- provider from, beyond those of its redirect URIs (CORS, idp-core cors).
--
-- A JSON array of origins (`scheme://host[:port]`, as browsers send them),
-- like the other list columns. Clients written before this version have
-- none: only their redirect URIs' origins.

ALTER TABLE clients ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
