-- Which settings sections the secretariat has edited in the app (branding, signup, features,
-- email_defaults), each with when: from then on the app owns that section and `tenant apply`
-- keeps it instead of the file's value, and says so (docs/TENANT_CONFIG.md "Files and the
-- settings page"). `tenant apply --take-file` hands a section back to the file.
alter table platform.tenants add column ui_edited jsonb not null default '{}'::jsonb;
