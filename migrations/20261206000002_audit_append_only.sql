-- The audit log is append-only for the application: it may record and read, never change or
-- delete what was recorded (tests/integration/audit.rs checks the grant).
revoke update, delete, truncate on public.audit_events from tsunagu_app;
