-- The secretariat's member list pages newest first by (created_at, id), whatever the filters.
create index members_registered_idx on public.members (tenant_id, created_at desc, id desc);
