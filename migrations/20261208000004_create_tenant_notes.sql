-- The console's notes and timeline per tenant (docs/CONSOLE.md "A network's page").

-- Staff notes about a network: console data, never shown to the network. Platform data, no
-- tenant data (like platform.staff_users), so no row-level security: the network never reads it. Written by the console
-- (tsunagu_app may insert and read, not change or delete: a note is a record).
create table platform.tenant_notes (
  id uuid not null,
  tenant_id uuid not null,
  staff_id uuid,
  staff_name text not null,
  body text not null,
  created_at timestamptz not null default now(),
  constraint tenant_notes_pkey primary key (id),
  constraint tenant_notes_tenant_fkey foreign key (tenant_id)
    references platform.tenants (id) on delete cascade,
  constraint tenant_notes_staff_fkey foreign key (staff_id)
    references platform.staff_users (id) on delete set null,
  constraint tenant_notes_body_length check (char_length(body) between 1 and 4000),
  constraint tenant_notes_staff_name_length check (char_length(staff_name) between 1 and 200)
);

create index tenant_notes_tenant_idx on platform.tenant_notes (tenant_id, created_at desc);
create index tenant_notes_staff_idx on platform.tenant_notes (staff_id);

grant select, insert on platform.tenant_notes to tsunagu_app;

-- What the timeline may read of support access: when, for what, and its state; never who in the
-- network granted or answered (a member's name is personal data).
grant select (tenant_id, id, scopes, created_at) on public.support_grants to tsunagu_aggregates;
grant select (tenant_id, staff_name, scopes, days, created_at, answered_at)
  on public.support_requests to tsunagu_aggregates;

-- One network's support history for the console's timeline: grants (given, and revoked or ended)
-- and requests from CS (asked, and answered). Figures and dates only.
create function platform.tenant_support_history(tenant uuid)
returns table (
  at timestamptz,
  -- granted, revoked, ended, requested, approved, declined
  event text,
  scopes text[],
  -- A grant's end; a request's asker (platform staff).
  until timestamptz,
  staff_name text
)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select g.created_at, 'granted', g.scopes, g.expires_at, null::text
  from public.support_grants g where g.tenant_id = tenant
  union all
  select g.revoked_at, 'revoked', g.scopes, g.expires_at, null
  from public.support_grants g where g.tenant_id = tenant and g.revoked_at is not null
  union all
  select g.expires_at, 'ended', g.scopes, g.expires_at, null
  from public.support_grants g
  where g.tenant_id = tenant and g.revoked_at is null and g.expires_at <= now()
  union all
  select q.created_at, 'requested', q.scopes, null, q.staff_name
  from public.support_requests q where q.tenant_id = tenant
  union all
  select q.answered_at, q.answer, q.scopes, null, q.staff_name
  from public.support_requests q where q.tenant_id = tenant and q.answered_at is not null
$$;

revoke all on function platform.tenant_support_history(uuid) from public;
grant execute on function platform.tenant_support_history(uuid) to tsunagu_app;
alter function platform.tenant_support_history(uuid) owner to tsunagu_aggregates;
