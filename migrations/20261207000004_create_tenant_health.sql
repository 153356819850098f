-- The console's tenant directory reads every tenant's health through one function, owned by
-- tsunagu_aggregates (deploy/sql/roles.sql): it returns figures only, and its owner may read only
-- the columns those figures need. The role that serves pages (tsunagu_app) may execute it but, as
-- before, reads no tenant's rows without that tenant set. See docs/CONSOLE.md.

grant usage on schema platform, public to tsunagu_aggregates;
grant create on schema platform to tsunagu_aggregates;
grant select (id, slug, name, status, plan, time_zone, level3, created_at) on platform.tenants
  to tsunagu_aggregates;
grant select (tenant_id, day, alumni, employees, active_30d, member_started,
              secretariat_started, first_contacts) on public.engagement_days to tsunagu_aggregates;
grant select (tenant_id, actor_kind, actor_id, created_at) on public.audit_events
  to tsunagu_aggregates;
grant select (tenant_id, id, role) on public.members to tsunagu_aggregates;
grant select (tenant_id, subject_kind, subject_id, resolved_at) on public.content_reports
  to tsunagu_aggregates;

create function platform.tenant_health()
returns table (
  tenant_id uuid,
  slug text,
  name text,
  status text,
  plan text,
  level3 jsonb,
  created_at timestamptz,
  -- The latest daily rollup (null before the first).
  rollup_day date,
  alumni integer,
  employees integer,
  active_30d integer,
  -- This month and the last, in the tenant's time zone: the level-3 indicator's figures.
  month_member_started bigint,
  month_secretariat_started bigint,
  month_first_contacts bigint,
  last_month_member_started bigint,
  last_month_secretariat_started bigint,
  last_month_first_contacts bigint,
  -- The latest audited action of a secretariat member.
  last_secretariat_activity timestamptz,
  -- Reported subjects waiting in the moderation queue.
  open_reports bigint
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
         secretariat.at, coalesce(reports.open, 0)
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
$$;

revoke all on function platform.tenant_health() from public;
grant execute on function platform.tenant_health() to tsunagu_app;
alter function platform.tenant_health() owner to tsunagu_aggregates;
