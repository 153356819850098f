-- Custom profile fields a tenant declares in tenant-config ([[profile_fields]]): platform data,
-- no tenant data (labels only; members' values live in members.custom_fields).
alter table platform.tenants add column profile_fields jsonb not null default '[]'::jsonb;
