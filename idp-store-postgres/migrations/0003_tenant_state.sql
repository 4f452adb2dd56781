-- idp schema for PostgreSQL, version 3: the organisation lifecycle
-- (issue 17).
--
-- tenants.state: active, pending, rejected or suspended (the enum's wire
-- names); every existing tenant is active. state_reason is the operator's
-- reason while rejected or suspended, NULL otherwise; state_changed_at is
-- when the state last changed (NULL: never, created so). A transition is
-- a compare-and-swap on state (UPDATE ... WHERE id = $1 AND state = $2),
-- under the registry scope like every change to a tenant's row. The
-- tenants_changed trigger (version 1) notifies `tenant <id>` on commit, so
-- every instance forgets its cached tenant and serves the new state at once.
ALTER TABLE tenants
    ADD COLUMN state text NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'pending', 'rejected', 'suspended')),
    ADD COLUMN state_reason text,
    ADD COLUMN state_changed_at bigint;
