-- One moderation queue for the secretariat: members report posts, comments, messages and
-- profiles; the secretariat hides, unhides, dismisses or suspends the author, and every decision
-- is kept. Replaces `message_reports` (its rows move here). See docs/SECRETARIAT.md "Moderation".
--
-- A report names its subject by kind and id without a foreign key on purpose: the report and its
-- copy of the text are the record of what happened even when the author later deletes the
-- subject. They are not kept beyond the member: the author's and the reporter's removal removes
-- them (the foreign keys to members cascade).

create table public.content_reports (
  tenant_id uuid not null,
  id uuid not null,
  subject_kind text not null,
  subject_id uuid not null,
  subject_author_id uuid not null,
  reporter_id uuid not null,
  reason text not null default '',
  -- The reported text as it was when reported (a private message's only copy the secretariat
  -- may read).
  snapshot text not null,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by_decision uuid,
  constraint content_reports_pkey primary key (tenant_id, id),
  constraint content_reports_author_fkey foreign key (tenant_id, subject_author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint content_reports_reporter_fkey foreign key (tenant_id, reporter_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint content_reports_kind_valid check (subject_kind in ('post', 'comment', 'message', 'profile')),
  constraint content_reports_reason_length check (char_length(reason) <= 1000),
  constraint content_reports_snapshot_length check (char_length(snapshot) <= 5000)
);

-- One open report per member and subject; after a decision the member may report again.
create unique index content_reports_open_once
  on public.content_reports (tenant_id, subject_kind, subject_id, reporter_id)
  where resolved_at is null;
create index content_reports_open_idx on public.content_reports (tenant_id, created_at)
  where resolved_at is null;
create index content_reports_subject_idx
  on public.content_reports (tenant_id, subject_kind, subject_id, created_at);
create index content_reports_author_idx on public.content_reports (tenant_id, subject_author_id);
create index content_reports_reporter_idx on public.content_reports (tenant_id, reporter_id);

alter table public.content_reports enable row level security;
alter table public.content_reports force row level security;
create policy tenant_isolation on public.content_reports
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- What the secretariat decided about a subject, with or without reports (a post hidden straight
-- from the timeline is a decision too). Append-only for the application, like the audit log.
create table public.moderation_decisions (
  tenant_id uuid not null,
  id uuid not null,
  subject_kind text not null,
  subject_id uuid not null,
  subject_author_id uuid not null,
  decision text not null,
  decided_by uuid,
  note text not null default '',
  reports_resolved integer not null default 0,
  created_at timestamptz not null default now(),
  constraint moderation_decisions_pkey primary key (tenant_id, id),
  constraint moderation_decisions_author_fkey foreign key (tenant_id, subject_author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint moderation_decisions_decider_fkey foreign key (tenant_id, decided_by)
    references public.members (tenant_id, id) on delete set null (decided_by),
  constraint moderation_decisions_kind_valid check (subject_kind in ('post', 'comment', 'message', 'profile')),
  constraint moderation_decisions_decision_valid check (decision in ('hide', 'unhide', 'dismiss', 'suspend')),
  constraint moderation_decisions_note_length check (char_length(note) <= 1000)
);

create index moderation_decisions_subject_idx
  on public.moderation_decisions (tenant_id, subject_kind, subject_id, created_at);
create index moderation_decisions_recent_idx on public.moderation_decisions (tenant_id, created_at desc);
create index moderation_decisions_author_idx on public.moderation_decisions (tenant_id, subject_author_id);
create index moderation_decisions_decider_idx on public.moderation_decisions (tenant_id, decided_by);

alter table public.moderation_decisions enable row level security;
alter table public.moderation_decisions force row level security;
create policy tenant_isolation on public.moderation_decisions
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

alter table public.content_reports
  add constraint content_reports_decision_fkey foreign key (tenant_id, resolved_by_decision)
    references public.moderation_decisions (tenant_id, id) on delete set null (resolved_by_decision);
create index content_reports_decision_idx on public.content_reports (tenant_id, resolved_by_decision);

revoke update, delete, truncate on public.moderation_decisions from tsunagu_app;

-- A message the secretariat hid after a report: its text stays (an unhide restores it) but no
-- member sees it.
alter table public.messages add column hidden_at timestamptz;

insert into public.content_reports
  (tenant_id, id, subject_kind, subject_id, subject_author_id, reporter_id, reason, snapshot,
   created_at, resolved_at)
select r.tenant_id, r.id, 'message', r.message_id, m.author_id, r.reporter_id, r.reason,
       left(r.message_text, 5000), r.created_at, r.resolved_at
from public.message_reports r
join public.messages m on m.tenant_id = r.tenant_id and m.id = r.message_id;

drop table public.message_reports;
