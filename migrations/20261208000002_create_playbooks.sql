-- The playbook library (docs/CONSOLE.md "Playbooks"): templates live in the repository
-- (services/playbooks/library); a network remembers what it made from which template and
-- version, so outcomes across networks can be told per template, k-anonymously.

-- 募集 drafts: what platform staff open within a support grant, or make from a template, waits
-- for the secretariat's approval like articles and surveys.
alter table public.recruitments drop constraint recruitments_status_valid;
alter table public.recruitments add constraint recruitments_status_valid
  check (status in ('draft', 'open', 'closed'));

create table public.playbook_uses (
  tenant_id uuid not null,
  id uuid not null,
  playbook_key text not null,
  playbook_version integer not null,
  -- survey, article, recruitment or event; the id of what was made (it may be deleted later,
  -- and then counts for nothing).
  subject_kind text not null,
  subject_id uuid not null,
  -- The member who made it (the network's Tsunagu CS member when staff did).
  used_by uuid,
  created_at timestamptz not null default now(),
  constraint playbook_uses_pkey primary key (tenant_id, id),
  constraint playbook_uses_used_by_fkey foreign key (tenant_id, used_by)
    references public.members (tenant_id, id) on delete set null (used_by),
  constraint playbook_uses_kind_valid check (
    subject_kind in ('survey', 'article', 'recruitment', 'event')),
  constraint playbook_uses_key_valid check (playbook_key ~ '^[a-z0-9-]{1,64}$'),
  constraint playbook_uses_version_valid check (playbook_version >= 1)
);

create index playbook_uses_key_idx on public.playbook_uses (playbook_key, tenant_id);
create index playbook_uses_used_by_idx on public.playbook_uses (tenant_id, used_by);
create index playbook_uses_recent_idx on public.playbook_uses (tenant_id, created_at desc);

alter table public.playbook_uses enable row level security;
alter table public.playbook_uses force row level security;
create policy tenant_isolation on public.playbook_uses
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- What the outcomes read, and nothing more (tests/integration/catalog.rs pins these columns).
grant select (tenant_id, playbook_key, subject_kind, subject_id) on public.playbook_uses
  to tsunagu_aggregates;
grant select (tenant_id, id, status) on public.surveys to tsunagu_aggregates;
grant select (tenant_id, survey_id) on public.survey_respondents to tsunagu_aggregates;
grant select (status) on public.members to tsunagu_aggregates;
grant select (tenant_id, id, status, like_count) on public.articles to tsunagu_aggregates;
grant select (tenant_id, id, status, cheer_count, interested_count, see_later_count)
  on public.recruitments to tsunagu_aggregates;
grant select (tenant_id, id, status) on public.events to tsunagu_aggregates;
grant select (tenant_id, event_id, status) on public.event_rsvps to tsunagu_aggregates;

-- Per template, how what networks made from it performed: the median across every published
-- subject, and how many networks that is. A template used by fewer than `k_min` networks
-- returns no row at all, so no caller can show a figure that points at a few networks
-- (k-anonymity; `k_min` may only raise the floor of 5). Owned by tsunagu_aggregates like
-- platform.tenant_health(): it reads counts, never a title, a name or an answer.
create function platform.playbook_outcomes(k_min integer default 5)
returns table (
  playbook_key text,
  subject_kind text,
  networks bigint,
  uses bigint,
  -- surveys: respondents per active member, in percent; articles: likes; 募集: reactions;
  -- events: members going.
  median numeric
)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  with figures as (
    select u.tenant_id, u.playbook_key, u.subject_kind,
           case u.subject_kind
             when 'survey' then (
               select 100.0 * count(*) / nullif((
                 select count(*) from public.members m
                 where m.tenant_id = u.tenant_id and m.status = 'active'), 0)
               from public.survey_respondents r
               where r.tenant_id = u.tenant_id and r.survey_id = u.subject_id)
             when 'article' then (
               select a.like_count::numeric from public.articles a
               where a.tenant_id = u.tenant_id and a.id = u.subject_id)
             when 'recruitment' then (
               select (c.cheer_count + c.interested_count + c.see_later_count)::numeric
               from public.recruitments c
               where c.tenant_id = u.tenant_id and c.id = u.subject_id)
             when 'event' then (
               select count(*)::numeric from public.event_rsvps v
               where v.tenant_id = u.tenant_id and v.event_id = u.subject_id
                 and v.status = 'going')
           end as figure
    from public.playbook_uses u
    where case u.subject_kind
      when 'survey' then exists (select 1 from public.surveys s
        where s.tenant_id = u.tenant_id and s.id = u.subject_id and s.status <> 'draft')
      when 'article' then exists (select 1 from public.articles a
        where a.tenant_id = u.tenant_id and a.id = u.subject_id and a.status <> 'draft')
      when 'recruitment' then exists (select 1 from public.recruitments c
        where c.tenant_id = u.tenant_id and c.id = u.subject_id and c.status <> 'draft')
      when 'event' then exists (select 1 from public.events e
        where e.tenant_id = u.tenant_id and e.id = u.subject_id and e.status = 'published')
      else false
    end
  )
  select f.playbook_key, min(f.subject_kind), count(distinct f.tenant_id), count(*),
         round(percentile_cont(0.5) within group (order by f.figure::float8)::numeric, 1)
  from figures f
  where f.figure is not null
  group by f.playbook_key
  having count(distinct f.tenant_id) >= greatest(k_min, 5)
$$;

revoke all on function platform.playbook_outcomes(integer) from public;
grant execute on function platform.playbook_outcomes(integer) to tsunagu_app;
alter function platform.playbook_outcomes(integer) owner to tsunagu_aggregates;
