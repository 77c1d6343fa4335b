-- A third account role, `auditor`: reads the audit console and its exports,
-- nothing else of the administration.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'admin', 'auditor'));
