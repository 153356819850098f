-- Support access: the secretariat lets the platform's customer-success staff help it for a
-- limited time (24 hours or 7 days) with a scope (content, recruitments, surveys, events, the
-- member list read-only). Staff enter a tenant only within a live grant (docs/CONSOLE.md); the
-- secretariat sees every grant and revokes any at once. Kept after expiry or revocation: the
-- history of who let CS in, when and for what.
create table public.support_grants (
  tenant_id uuid not null,
  id uuid not null,
  -- The secretariat member who granted it (null once that member is removed; the audit log keeps
  -- the event).
  granted_by uuid,
  scopes text[] not null,
  note text not null default '',
  starts_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_by uuid,
  created_at timestamptz not null default now(),
  constraint support_grants_pkey primary key (tenant_id, id),
  constraint support_grants_granted_by_fkey foreign key (tenant_id, granted_by)
    references public.members (tenant_id, id) on delete set null (granted_by),
  constraint support_grants_revoked_by_fkey foreign key (tenant_id, revoked_by)
    references public.members (tenant_id, id) on delete set null (revoked_by),
  constraint support_grants_scopes_valid check (
    cardinality(scopes) between 1 and 5
    and scopes <@ array['content', 'recruitments', 'surveys', 'events', 'members_read']::text[]),
  constraint support_grants_window_valid check (
    expires_at > starts_at and expires_at <= starts_at + interval '7 days'),
  constraint support_grants_note_length check (char_length(note) <= 500),
  constraint support_grants_revoked_together check ((revoked_at is null) = (revoked_by is null))
);

create index support_grants_recent_idx on public.support_grants (tenant_id, created_at desc);
create index support_grants_live_idx on public.support_grants (tenant_id, expires_at)
  where revoked_at is null;
create index support_grants_granted_by_idx on public.support_grants (tenant_id, granted_by);
create index support_grants_revoked_by_idx on public.support_grants (tenant_id, revoked_by);

alter table public.support_grants enable row level security;
alter table public.support_grants force row level security;
create policy tenant_isolation on public.support_grants
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- The console's directory shows whether CS may help a network now, and until when.
grant select (tenant_id, starts_at, expires_at, revoked_at) on public.support_grants
  to tsunagu_aggregates;

drop function platform.tenant_health();
create function platform.tenant_health()
returns table (
  tenant_id uuid,
  slug text,
  name text,
  status text,
  plan text,
  level3 jsonb,
  created_at timestamptz,
  rollup_day date,
  alumni integer,
  employees integer,
  active_30d integer,
  month_member_started bigint,
  month_secretariat_started bigint,
  month_first_contacts bigint,
  last_month_member_started bigint,
  last_month_secretariat_started bigint,
  last_month_first_contacts bigint,
  last_secretariat_activity timestamptz,
  open_reports bigint,
  -- The end of the latest live support grant (null: CS may not enter now).
  support_until timestamptz
)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select t.id, t.slug, t.name, t.status, t.plan, t.level3, t.created_at,
         latest.day, latest.alumni, latest.employees, latest.active_30d,
         coalesce(months.member_started, 0), coalesce(months.secretariat_started, 0),
         coalesce(months.first_contacts, 0),
         coalesce(months.last_member_started, 0), coalesce(months.last_secretariat_started, 0),
         coalesce(months.last_first_contacts, 0),
         secretariat.at, coalesce(reports.open, 0), support.until
  from platform.tenants t
  cross join lateral (
    select date_trunc('month', now() at time zone t.time_zone)::date as this_month
  ) m
  left join lateral (
    select d.day, d.alumni, d.employees, d.active_30d from public.engagement_days d
    where d.tenant_id = t.id order by d.day desc limit 1
  ) latest on true
  left join lateral (
    select sum(d.member_started) filter (where d.day >= m.this_month) as member_started,
           sum(d.secretariat_started) filter (where d.day >= m.this_month) as secretariat_started,
           sum(d.first_contacts) filter (where d.day >= m.this_month) as first_contacts,
           sum(d.member_started) filter (where d.day < m.this_month) as last_member_started,
           sum(d.secretariat_started) filter (where d.day < m.this_month) as last_secretariat_started,
           sum(d.first_contacts) filter (where d.day < m.this_month) as last_first_contacts
    from public.engagement_days d
    where d.tenant_id = t.id and d.day >= (m.this_month - interval '1 month')::date
  ) months on true
  left join lateral (
    select a.created_at as at from public.audit_events a
    join public.members s on s.tenant_id = a.tenant_id and s.id = a.actor_id
    where a.tenant_id = t.id and a.actor_kind = 'member' and s.role = 'secretariat'
    order by a.created_at desc limit 1
  ) secretariat on true
  left join lateral (
    select count(*) as open from (
      select distinct r.subject_kind, r.subject_id from public.content_reports r
      where r.tenant_id = t.id and r.resolved_at is null) waiting
  ) reports on true
  left join lateral (
    select max(g.expires_at) as until from public.support_grants g
    where g.tenant_id = t.id and g.revoked_at is null and g.starts_at <= now()
      and g.expires_at > now()
  ) support on true
$$;

revoke all on function platform.tenant_health() from public;
grant execute on function platform.tenant_health() to tsunagu_app;
alter function platform.tenant_health() owner to tsunagu_aggregates;
