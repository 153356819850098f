-- Segments and outreach: members who gave some answers to a named survey ("said yes to an
-- interview"), kept live (new answers join), and the invitations sent to them, each recipient
-- followed up on a follow-up list (follow_up_lists / follow_ups). Tenant tables: see the
-- conventions in the first migration.

create table public.segments (
  tenant_id uuid not null,
  id uuid not null,
  name text not null,
  survey_id uuid not null,
  -- Always false: part of the foreign key to the survey's (id, anonymous), so that no segment
  -- can be made from an anonymous survey.
  anonymous boolean not null default false,
  -- all: every condition holds; any: at least one does.
  match text not null default 'all',
  member_kind text,
  department text,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  constraint segments_pkey primary key (tenant_id, id),
  constraint segments_named check (not anonymous),
  constraint segments_survey_fkey foreign key (tenant_id, survey_id, anonymous)
    references public.surveys (tenant_id, id, anonymous) on delete cascade,
  constraint segments_created_by_fkey foreign key (tenant_id, created_by)
    references public.members (tenant_id, id),
  constraint segments_match_valid check (match in ('all', 'any')),
  constraint segments_member_kind_valid check (member_kind in ('alumni', 'employee')),
  constraint segments_name_length check (char_length(name) between 1 and 100),
  constraint segments_department_length check (char_length(department) <= 100)
);

create index segments_survey_idx on public.segments (tenant_id, survey_id, anonymous);
create index segments_created_by_idx on public.segments (tenant_id, created_by);

alter table public.segments enable row level security;
alter table public.segments force row level security;
create policy tenant_isolation on public.segments
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- One answer a member of the segment gave: a choice, or a number (scale, yes = 1 / no = 0).
create table public.segment_conditions (
  tenant_id uuid not null,
  id uuid not null,
  segment_id uuid not null,
  question_id uuid not null,
  option_id uuid,
  number_value smallint,
  constraint segment_conditions_pkey primary key (tenant_id, id),
  constraint segment_conditions_segment_fkey foreign key (tenant_id, segment_id)
    references public.segments (tenant_id, id) on delete cascade,
  constraint segment_conditions_question_fkey foreign key (tenant_id, question_id)
    references public.survey_questions (tenant_id, id) on delete cascade,
  constraint segment_conditions_option_fkey foreign key (tenant_id, question_id, option_id)
    references public.survey_options (tenant_id, question_id, id) on delete cascade,
  constraint segment_conditions_one_value check ((option_id is null) <> (number_value is null))
);

create index segment_conditions_segment_idx on public.segment_conditions (tenant_id, segment_id);
create index segment_conditions_question_idx on public.segment_conditions (tenant_id, question_id, option_id);

alter table public.segment_conditions enable row level security;
alter table public.segment_conditions force row level security;
create policy tenant_isolation on public.segment_conditions
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- An invitation sent to a segment: what it said, and the follow-up list of its recipients.
create table public.outreaches (
  tenant_id uuid not null,
  id uuid not null,
  segment_id uuid not null,
  list_id uuid not null,
  subject text not null,
  body text not null,
  link text not null default '',
  created_by uuid not null,
  sent_at timestamptz not null default now(),
  constraint outreaches_pkey primary key (tenant_id, id),
  constraint outreaches_segment_fkey foreign key (tenant_id, segment_id)
    references public.segments (tenant_id, id) on delete cascade,
  constraint outreaches_list_fkey foreign key (tenant_id, list_id)
    references public.follow_up_lists (tenant_id, id) on delete cascade,
  constraint outreaches_created_by_fkey foreign key (tenant_id, created_by)
    references public.members (tenant_id, id),
  constraint outreaches_subject_length check (char_length(subject) between 1 and 200),
  constraint outreaches_body_length check (char_length(body) between 1 and 5000),
  constraint outreaches_link_length check (char_length(link) <= 500)
);

create index outreaches_segment_idx on public.outreaches (tenant_id, segment_id);
create unique index outreaches_list_idx on public.outreaches (tenant_id, list_id);
create index outreaches_created_by_idx on public.outreaches (tenant_id, created_by);

alter table public.outreaches enable row level security;
alter table public.outreaches force row level security;
create policy tenant_isolation on public.outreaches
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
