-- idp schema, version 16: the organisation lifecycle (issue 17).
--
-- tenants.state: active, pending, rejected or suspended (the enum's wire
-- names); every existing tenant is active. state_reason is the operator's
-- reason while rejected or suspended, NULL otherwise; state_changed_at is
-- when the state last changed (NULL: never, created so). Transitions are
-- a compare-and-swap on state (UPDATE ... WHERE id = ? AND state = ?),
-- which the primary key finds.
ALTER TABLE tenants ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'pending', 'rejected', 'suspended'));
ALTER TABLE tenants ADD COLUMN state_reason TEXT;
ALTER TABLE tenants ADD COLUMN state_changed_at INTEGER;
