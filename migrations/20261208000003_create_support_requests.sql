-- Staff ask the secretariat for support access from the console; the secretariat approves (which
-- grants exactly what was asked) or declines (docs/CONSOLE.md "Requests").
create table public.support_requests (
  tenant_id uuid not null,
  id uuid not null,
  -- The platform staff member who asked (platform.staff_users; kept as a value, since the
  -- request outlives the account).
  staff_id uuid not null,
  staff_name text not null,
  scopes text[] not null,
  days integer not null,
  note text not null default '',
  created_at timestamptz not null default now(),
  -- approved or declined, with who answered; an approval's grant.
  answer text,
  answered_at timestamptz,
  answered_by uuid,
  grant_id uuid,
  constraint support_requests_pkey primary key (tenant_id, id),
  constraint support_requests_answered_by_fkey foreign key (tenant_id, answered_by)
    references public.members (tenant_id, id) on delete set null (answered_by),
  constraint support_requests_grant_fkey foreign key (tenant_id, grant_id)
    references public.support_grants (tenant_id, id) on delete set null (grant_id),
  constraint support_requests_scopes_valid check (
    cardinality(scopes) between 1 and 5
    and scopes <@ array['content', 'recruitments', 'surveys', 'events', 'members_read']::text[]),
  constraint support_requests_days_valid check (days in (1, 7)),
  constraint support_requests_note_length check (char_length(note) <= 500),
  constraint support_requests_staff_name_length check (char_length(staff_name) between 1 and 200),
  constraint support_requests_answer_valid check (
    (answer is null and answered_at is null)
    or (answer in ('approved', 'declined') and answered_at is not null)),
  constraint support_requests_grant_when_approved check (grant_id is null or answer = 'approved')
);

create index support_requests_recent_idx on public.support_requests (tenant_id, created_at desc);
create index support_requests_open_idx on public.support_requests (tenant_id)
  where answer is null;
create index support_requests_answered_by_idx on public.support_requests (tenant_id, answered_by);
create index support_requests_grant_idx on public.support_requests (tenant_id, grant_id);

alter table public.support_requests enable row level security;
alter table public.support_requests force row level security;
create policy tenant_isolation on public.support_requests
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- The console's directory shows that a request waits.
grant select (tenant_id, answer) on public.support_requests to tsunagu_aggregates;

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
  support_until timestamptz,
  -- Requests for access from CS that the secretariat has not answered.
  support_requests bigint
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
         secretariat.at, coalesce(reports.open, 0), support.until, coalesce(requests.open, 0)
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
  left join lateral (
    select count(*) as open from public.support_requests q
    where q.tenant_id = t.id and q.answer is null
  ) requests on true
$$;

revoke all on function platform.tenant_health() from public;
grant execute on function platform.tenant_health() to tsunagu_app;
alter function platform.tenant_health() owner to tsunagu_aggregates;
