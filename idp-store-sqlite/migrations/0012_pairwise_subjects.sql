-- idp schema: pairwise subject identifiers (OIDC Core §8.1; idp-core
-- subject). A client's `subject_type` is 'public' (its users' `sub` is
-- their id) or 'pairwise' (a per-sector identifier); `sector_identifier_uri`
-- (OIDC Registration §2) was checked at registration and its host is the
-- client's sector. Clients written before this version are public.

ALTER TABLE clients ADD COLUMN subject_type TEXT NOT NULL DEFAULT 'public';
ALTER TABLE clients ADD COLUMN sector_identifier_uri TEXT;
