-- Events and reunions (docs/EVENTS.md), and the network's time zone in which every date is shown
-- and entered.
alter table platform.tenants add column time_zone text not null default 'Asia/Tokyo';

create table public.events (
  tenant_id uuid not null,
  id uuid not null,
  title text not null,
  -- Sanitised on save (the articles' allow-list); rendered as-is.
  description_html text not null default '',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  -- offline: a venue; online: a join URL shown to confirmed attendees only; hybrid: both.
  format text not null,
  venue_name text not null default '',
  venue_address text not null default '',
  join_url text not null default '',
  -- Places for members and their guests; null: no limit.
  capacity integer,
  guests_allowed integer not null default 0,
  rsvp_deadline timestamptz,
  -- everyone, alumni or employees.
  audience text not null default 'everyone',
  -- pending: waiting for the secretariat's approval (a member's event where the network asks
  -- for it); published; cancelled.
  status text not null default 'published',
  -- RFC 5545 SEQUENCE of the calendar file: raised on every change attendees are told about.
  sequence integer not null default 0,
  -- True when a member (not the secretariat) created it: member-started activity.
  member_started boolean not null default false,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint events_pkey primary key (tenant_id, id),
  constraint events_created_by_fkey foreign key (tenant_id, created_by)
    references public.members (tenant_id, id) on delete cascade,
  constraint events_title_length check (char_length(title) between 1 and 200),
  constraint events_description_length check (char_length(description_html) <= 50000),
  constraint events_ends_after_start check (ends_at > starts_at),
  constraint events_format_valid check (format in ('offline', 'online', 'hybrid')),
  constraint events_venue_length check (char_length(venue_name) <= 200 and char_length(venue_address) <= 300),
  constraint events_join_url_valid check (join_url = '' or join_url ~ '^https?://' and char_length(join_url) <= 500),
  constraint events_capacity_valid check (capacity is null or capacity between 1 and 100000),
  constraint events_guests_valid check (guests_allowed between 0 and 3),
  constraint events_audience_valid check (audience in ('everyone', 'alumni', 'employees')),
  constraint events_status_valid check (status in ('pending', 'published', 'cancelled'))
);

create index events_starts_idx on public.events (tenant_id, starts_at, id);
create index events_created_by_idx on public.events (tenant_id, created_by);

alter table public.events enable row level security;
alter table public.events force row level security;
create policy tenant_isolation on public.events
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Who organises an event besides its creator (they manage it as the creator does).
create table public.event_organisers (
  tenant_id uuid not null,
  event_id uuid not null,
  member_id uuid not null,
  constraint event_organisers_pkey primary key (tenant_id, event_id, member_id),
  constraint event_organisers_event_fkey foreign key (tenant_id, event_id)
    references public.events (tenant_id, id) on delete cascade,
  constraint event_organisers_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

create index event_organisers_member_idx on public.event_organisers (tenant_id, member_id);

alter table public.event_organisers enable row level security;
alter table public.event_organisers force row level security;
create policy tenant_isolation on public.event_organisers
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- A member's answer. going: a confirmed place (with guests); waitlisted: asked for a place when
-- the event was full, promoted in order of waitlisted_at when one frees; interested; not_going.
create table public.event_rsvps (
  tenant_id uuid not null,
  event_id uuid not null,
  member_id uuid not null,
  status text not null,
  guests integer not null default 0,
  guest_names text not null default '',
  responded_at timestamptz not null default now(),
  waitlisted_at timestamptz,
  checked_in_at timestamptz,
  reminded_at timestamptz,
  constraint event_rsvps_pkey primary key (tenant_id, event_id, member_id),
  constraint event_rsvps_event_fkey foreign key (tenant_id, event_id)
    references public.events (tenant_id, id) on delete cascade,
  constraint event_rsvps_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint event_rsvps_status_valid check (status in ('going', 'waitlisted', 'interested', 'not_going')),
  constraint event_rsvps_guests_valid check (guests between 0 and 3),
  constraint event_rsvps_guest_names_length check (char_length(guest_names) <= 500),
  constraint event_rsvps_waitlist_time check ((status = 'waitlisted') = (waitlisted_at is not null))
);

create index event_rsvps_member_idx on public.event_rsvps (tenant_id, member_id);
create index event_rsvps_waitlist_idx on public.event_rsvps (tenant_id, event_id, waitlisted_at)
  where status = 'waitlisted';

alter table public.event_rsvps enable row level security;
alter table public.event_rsvps force row level security;
create policy tenant_isolation on public.event_rsvps
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
