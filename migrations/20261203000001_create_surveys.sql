-- Surveys (アンケート): the secretariat's questionnaires, members' responses and the per-member
-- "has answered" marks. Tenant tables: see the conventions in the first migration.
--
-- Anonymity is a property of the schema, not of the queries (docs/SURVEYS.md):
-- * `survey_responses` and `survey_answers` have no member column and no time column; response
--   ids are random (v4), not time-ordered;
-- * `survey_respondents` says who has answered (once per survey), with no link to a response;
-- * the only link from a response to a member, `survey_response_members`, carries the survey's
--   `anonymous` flag in its foreign key and a check that it is false: a row for an anonymous
--   survey cannot exist.

create table public.surveys (
  tenant_id uuid not null,
  id uuid not null,
  title text not null,
  intro text not null default '',
  -- draft: being built, questions editable. open: published (from opens_at, or at once), questions
  -- frozen. closed: no more answers (also when closes_at has passed).
  status text not null default 'draft',
  -- Chosen while a draft, shown to members, frozen once published.
  anonymous boolean not null default false,
  -- Members may change their answers until the survey closes (named surveys only).
  allow_edits boolean not null default false,
  audience text not null default 'everyone',
  opens_at timestamptz,
  closes_at timestamptz,
  -- The survey this one was copied from ("edit a published survey" makes a new version).
  previous_version_id uuid,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  published_at timestamptz,
  constraint surveys_pkey primary key (tenant_id, id),
  -- Target of survey_response_members' foreign key, which carries the anonymous flag.
  constraint surveys_anonymity_key unique (tenant_id, id, anonymous),
  constraint surveys_created_by_fkey foreign key (tenant_id, created_by)
    references public.members (tenant_id, id),
  constraint surveys_previous_version_fkey foreign key (tenant_id, previous_version_id)
    references public.surveys (tenant_id, id) on delete set null (previous_version_id),
  constraint surveys_status_valid check (status in ('draft', 'open', 'closed')),
  constraint surveys_audience_valid check (audience in ('everyone', 'alumni', 'employees')),
  constraint surveys_title_length check (char_length(title) between 1 and 200),
  constraint surveys_intro_length check (char_length(intro) <= 5000),
  constraint surveys_edits_named check (not (anonymous and allow_edits)),
  constraint surveys_closes_after_opens check (closes_at is null or opens_at is null or closes_at > opens_at),
  constraint surveys_published_at_set check (status = 'draft' or published_at is not null)
);

create index surveys_status_idx on public.surveys (tenant_id, status, opens_at);
create index surveys_created_by_idx on public.surveys (tenant_id, created_by);
create index surveys_previous_version_idx on public.surveys (tenant_id, previous_version_id);

alter table public.surveys enable row level security;
alter table public.surveys force row level security;
create policy tenant_isolation on public.surveys
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.survey_questions (
  tenant_id uuid not null,
  id uuid not null,
  survey_id uuid not null,
  position integer not null,
  kind text not null,
  prompt text not null,
  help text not null default '',
  required boolean not null default false,
  -- Single and multiple choice: an "other: ___" choice with its own text.
  allow_other boolean not null default false,
  constraint survey_questions_pkey primary key (tenant_id, id),
  constraint survey_questions_survey_fkey foreign key (tenant_id, survey_id)
    references public.surveys (tenant_id, id) on delete cascade,
  constraint survey_questions_kind_valid check (kind in ('single', 'multiple', 'scale', 'short_text', 'long_text', 'yes_no')),
  constraint survey_questions_prompt_length check (char_length(prompt) between 1 and 500),
  constraint survey_questions_help_length check (char_length(help) <= 1000),
  constraint survey_questions_other_for_choices check (not allow_other or kind in ('single', 'multiple'))
);

create index survey_questions_survey_idx on public.survey_questions (tenant_id, survey_id, position);

alter table public.survey_questions enable row level security;
alter table public.survey_questions force row level security;
create policy tenant_isolation on public.survey_questions
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.survey_options (
  tenant_id uuid not null,
  id uuid not null,
  question_id uuid not null,
  position integer not null,
  label text not null,
  constraint survey_options_pkey primary key (tenant_id, id),
  -- Target of survey_answers' foreign key: an answer's option belongs to its question.
  constraint survey_options_question_key unique (tenant_id, question_id, id),
  constraint survey_options_question_fkey foreign key (tenant_id, question_id)
    references public.survey_questions (tenant_id, id) on delete cascade,
  constraint survey_options_label_length check (char_length(label) between 1 and 200)
);

alter table public.survey_options enable row level security;
alter table public.survey_options force row level security;
create policy tenant_isolation on public.survey_options
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- One per member and survey: who has answered. No time column and no response id, so that it
-- cannot be lined up with an anonymous response.
create table public.survey_respondents (
  tenant_id uuid not null,
  survey_id uuid not null,
  member_id uuid not null,
  constraint survey_respondents_pkey primary key (tenant_id, survey_id, member_id),
  constraint survey_respondents_survey_fkey foreign key (tenant_id, survey_id)
    references public.surveys (tenant_id, id) on delete cascade,
  constraint survey_respondents_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

create index survey_respondents_member_idx on public.survey_respondents (tenant_id, member_id);

alter table public.survey_respondents enable row level security;
alter table public.survey_respondents force row level security;
create policy tenant_isolation on public.survey_respondents
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- A set of answers. No member and no time: see survey_response_members for named surveys.
create table public.survey_responses (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  survey_id uuid not null,
  constraint survey_responses_pkey primary key (tenant_id, id),
  constraint survey_responses_survey_key unique (tenant_id, survey_id, id),
  constraint survey_responses_survey_fkey foreign key (tenant_id, survey_id)
    references public.surveys (tenant_id, id) on delete cascade
);

alter table public.survey_responses enable row level security;
alter table public.survey_responses force row level security;
create policy tenant_isolation on public.survey_responses
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Named surveys only: whose response it is and when it was sent.
create table public.survey_response_members (
  tenant_id uuid not null,
  survey_id uuid not null,
  response_id uuid not null,
  member_id uuid not null,
  -- Always false; part of the foreign key to the survey's (id, anonymous).
  anonymous boolean not null default false,
  submitted_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint survey_response_members_pkey primary key (tenant_id, response_id),
  constraint survey_response_members_member_key unique (tenant_id, survey_id, member_id),
  constraint survey_response_members_named check (not anonymous),
  constraint survey_response_members_survey_fkey foreign key (tenant_id, survey_id, anonymous)
    references public.surveys (tenant_id, id, anonymous) on delete cascade,
  constraint survey_response_members_response_fkey foreign key (tenant_id, survey_id, response_id)
    references public.survey_responses (tenant_id, survey_id, id) on delete cascade,
  constraint survey_response_members_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

create index survey_response_members_member_idx on public.survey_response_members (tenant_id, member_id);
create index survey_response_members_response_idx on public.survey_response_members (tenant_id, survey_id, response_id);
create index survey_response_members_survey_idx on public.survey_response_members (tenant_id, survey_id, anonymous);

alter table public.survey_response_members enable row level security;
alter table public.survey_response_members force row level security;
create policy tenant_isolation on public.survey_response_members
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- One row per answered question, or per chosen option of a multiple choice. Choice questions
-- name the option (or none with other_text for "other"); scale and yes/no keep a number (1–5,
-- 1 = yes / 0 = no); text questions keep text.
create table public.survey_answers (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  survey_id uuid not null,
  response_id uuid not null,
  question_id uuid not null,
  option_id uuid,
  number_value smallint,
  text_value text,
  constraint survey_answers_pkey primary key (tenant_id, id),
  constraint survey_answers_response_fkey foreign key (tenant_id, survey_id, response_id)
    references public.survey_responses (tenant_id, survey_id, id) on delete cascade,
  constraint survey_answers_question_fkey foreign key (tenant_id, question_id)
    references public.survey_questions (tenant_id, id) on delete cascade,
  constraint survey_answers_option_fkey foreign key (tenant_id, question_id, option_id)
    references public.survey_options (tenant_id, question_id, id) on delete cascade,
  constraint survey_answers_text_length check (char_length(text_value) <= 5000),
  constraint survey_answers_something check (option_id is not null or number_value is not null or text_value is not null)
);

-- Results: counts per question and option of a survey in one index-only pass, and the responses
-- that gave one answer (filters "of those who answered Q3 = yes") by question and value.
create index survey_answers_results_idx on public.survey_answers (tenant_id, survey_id, question_id, option_id, number_value, response_id);
create index survey_answers_response_idx on public.survey_answers (tenant_id, survey_id, response_id);
-- The foreign keys to the question and its option (deleting a question or a choice).
create index survey_answers_option_idx on public.survey_answers (tenant_id, question_id, option_id);

alter table public.survey_answers enable row level security;
alter table public.survey_answers force row level security;
create policy tenant_isolation on public.survey_answers
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
