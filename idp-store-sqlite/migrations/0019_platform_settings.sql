-- idp schema, version 19: the platform's settings (issue 17, sign-up).
--
-- One row (id = 1), absent until an operator first changes a setting; the
-- core's defaults apply until then. signup: who may sign up at /signup
-- (closed, approval, open: idp_core::signup::SignupMode's wire names).
CREATE TABLE platform_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    signup TEXT NOT NULL CHECK (signup IN ('closed', 'approval', 'open')),
    updated_at INTEGER
);
