-- One follow-up model for everything the secretariat follows up person by person: the members
-- gathered from a 募集 ("interested") and, next, the recipients of an outreach to a survey
-- segment. A list has members, each with a status and a note. Replaces recruitment_followups
-- (its rows move here, one list per recruitment). Tenant tables: see the conventions in the
-- first migration.

create table public.follow_up_lists (
  tenant_id uuid not null,
  id uuid not null,
  -- recruitment: the people gathered from a 募集; outreach: the recipients of an invitation.
  kind text not null,
  recruitment_id uuid,
  title text not null,
  created_at timestamptz not null default now(),
  constraint follow_up_lists_pkey primary key (tenant_id, id),
  constraint follow_up_lists_recruitment_fkey foreign key (tenant_id, recruitment_id)
    references public.recruitments (tenant_id, id) on delete cascade,
  constraint follow_up_lists_kind_valid check (kind in ('recruitment', 'outreach')),
  constraint follow_up_lists_recruitment_set check ((kind = 'recruitment') = (recruitment_id is not null)),
  constraint follow_up_lists_title_length check (char_length(title) between 1 and 200)
);

-- One list per recruitment (and the foreign key's index).
create unique index follow_up_lists_recruitment_key on public.follow_up_lists (tenant_id, recruitment_id)
  where recruitment_id is not null;
create index follow_up_lists_recruitment_idx on public.follow_up_lists (tenant_id, recruitment_id);

alter table public.follow_up_lists enable row level security;
create policy tenant_isolation on public.follow_up_lists
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.follow_ups (
  tenant_id uuid not null,
  list_id uuid not null,
  member_id uuid not null,
  -- A recruitment's list uses to_contact, contacted, met, declined; an outreach's sent, replied,
  -- accepted, declined, done (tsunagu_community::kinds::FollowUpStatus).
  status text not null,
  note text not null default '',
  updated_at timestamptz not null default now(),
  constraint follow_ups_pkey primary key (tenant_id, list_id, member_id),
  constraint follow_ups_list_fkey foreign key (tenant_id, list_id)
    references public.follow_up_lists (tenant_id, id) on delete cascade,
  constraint follow_ups_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint follow_ups_status_valid check (status in ('to_contact', 'contacted', 'met', 'sent', 'replied', 'accepted', 'declined', 'done')),
  constraint follow_ups_note_length check (char_length(note) <= 2000)
);

create index follow_ups_member_idx on public.follow_ups (tenant_id, member_id);

alter table public.follow_ups enable row level security;
create policy tenant_isolation on public.follow_ups
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Move the existing follow-ups across every tenant. Migrations run as the tables' owner, whom
-- forced row-level security would limit to no tenant at all; the move runs before the new tables
-- are forced and with the old one's force lifted (it is dropped below).
alter table public.recruitment_followups no force row level security;
alter table public.recruitments no force row level security;

insert into public.follow_up_lists (tenant_id, id, kind, recruitment_id, title)
select r.tenant_id, gen_random_uuid(), 'recruitment', r.id, r.title
  from public.recruitments r
 where exists (select 1 from public.recruitment_followups f
               where f.tenant_id = r.tenant_id and f.recruitment_id = r.id);

insert into public.follow_ups (tenant_id, list_id, member_id, status, note, updated_at)
select f.tenant_id, l.id, f.member_id, f.status, f.note, f.updated_at
  from public.recruitment_followups f
  join public.follow_up_lists l on l.tenant_id = f.tenant_id and l.recruitment_id = f.recruitment_id;

alter table public.recruitments force row level security;
drop table public.recruitment_followups;

alter table public.follow_up_lists force row level security;
alter table public.follow_ups force row level security;
