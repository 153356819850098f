-- The secretariat's engagement dashboard and the level-3 indicator (docs/LEVEL3.md,
-- docs/SECRETARIAT.md). The worker writes daily rollups per network, so a page view reads a
-- year of days instead of counting posts, messages and members. Tenant tables: see the
-- conventions in the first migration.

-- The thresholds that turn a month's figures into level 1, 2 or 3 (tenant-config `[level3]`).
alter table platform.tenants add column level3 jsonb not null default '{}'::jsonb;

-- When a member was last seen signed in, written at most once a day per member (the session
-- layer notices the first request of the day): "active in the last 30 days".
alter table public.members add column last_seen_at timestamptz;

-- One row per network and day (in the network's time zone), rewritten while the day is recent.
create table public.engagement_days (
  tenant_id uuid not null,
  day date not null,
  -- Active members at the end of the day, by kind.
  alumni integer not null,
  employees integer not null,
  -- Members seen in the 30 days up to this day; null for a day computed after the fact (it can
  -- only be measured on the day).
  active_30d integer,
  posts integer not null,
  comments integer not null,
  reactions integer not null,
  recruitments integer not null,
  messages integer not null,
  -- Things started (posts, recruitments, events, conversations) by members and by the
  -- secretariat: the level-3 indicator's share.
  member_started integer not null,
  secretariat_started integer not null,
  -- Member pairs who first interacted this day without the secretariat (member_first_contacts).
  first_contacts integer not null,
  computed_at timestamptz not null default now(),
  constraint engagement_days_pkey primary key (tenant_id, day),
  constraint engagement_days_tenant_fkey foreign key (tenant_id)
    references platform.tenants (id) on delete cascade
);

alter table public.engagement_days enable row level security;
alter table public.engagement_days force row level security;
create policy tenant_isolation on public.engagement_days
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- The first interaction of every pair of members (smaller id first): a message in a
-- conversation they share, a comment on the other's post, a reaction to the other's 募集.
-- Only the first is kept; mediated is true when the secretariat was a party or the go-between
-- (it started the conversation), and such a pair is not a first contact of its own.
create table public.member_first_contacts (
  tenant_id uuid not null,
  member_low uuid not null,
  member_high uuid not null,
  first_at timestamptz not null,
  mediated boolean not null,
  constraint member_first_contacts_pkey primary key (tenant_id, member_low, member_high),
  constraint member_first_contacts_low_fkey foreign key (tenant_id, member_low)
    references public.members (tenant_id, id) on delete cascade,
  constraint member_first_contacts_high_fkey foreign key (tenant_id, member_high)
    references public.members (tenant_id, id) on delete cascade,
  constraint member_first_contacts_ordered check (member_low < member_high)
);

create index member_first_contacts_at_idx on public.member_first_contacts (tenant_id, first_at);
create index member_first_contacts_high_idx on public.member_first_contacts (tenant_id, member_high);

alter table public.member_first_contacts enable row level security;
alter table public.member_first_contacts force row level security;
create policy tenant_isolation on public.member_first_contacts
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- How far the worker has read each network's interactions (first contacts are found
-- incrementally, a window at a time, never by rereading the whole history).
create table public.engagement_cursors (
  tenant_id uuid not null,
  contacts_through timestamptz not null,
  updated_at timestamptz not null default now(),
  constraint engagement_cursors_pkey primary key (tenant_id),
  constraint engagement_cursors_tenant_fkey foreign key (tenant_id)
    references platform.tenants (id) on delete cascade
);

alter table public.engagement_cursors enable row level security;
alter table public.engagement_cursors force row level security;
create policy tenant_isolation on public.engagement_cursors
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Response rates of recent surveys and attendance of recent events, replaced on every run.
create table public.engagement_rates (
  tenant_id uuid not null,
  -- survey: respondents of the audience; event: checked in of those going.
  kind text not null,
  subject_id uuid not null,
  title text not null,
  at timestamptz not null,
  numerator integer not null,
  denominator integer not null,
  computed_at timestamptz not null default now(),
  constraint engagement_rates_pkey primary key (tenant_id, kind, subject_id),
  constraint engagement_rates_tenant_fkey foreign key (tenant_id)
    references platform.tenants (id) on delete cascade,
  constraint engagement_rates_kind_valid check (kind in ('survey', 'event'))
);

alter table public.engagement_rates enable row level security;
alter table public.engagement_rates force row level security;
create policy tenant_isolation on public.engagement_rates
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- The worker reads new messages by time (first contacts, messages per day); without this it
-- would scan a network's every message on each run.
create index messages_created_idx on public.messages (tenant_id, created_at);
-- And new comments (the existing index leads with the post).
create index post_comments_created_idx on public.post_comments (tenant_id, created_at);
