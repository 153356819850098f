-- Private messages between members: direct conversations (two members) and small groups (up to
-- 50), each member's read state, blocks between members, and reports of a message to the
-- secretariat. The secretariat has no route to read conversations; a reported message is the
-- one exception (the report keeps a copy of the text). Tenant tables: see the conventions in the
-- first migration.

create table public.conversations (
  tenant_id uuid not null,
  id uuid not null,
  -- direct: two members, at most one conversation per pair; group: a title and up to 50 members.
  kind text not null,
  title text not null default '',
  -- Direct conversations: the two member ids, smaller first, so a pair has one conversation.
  direct_low uuid,
  direct_high uuid,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  last_message_at timestamptz not null default now(),
  constraint conversations_pkey primary key (tenant_id, id),
  constraint conversations_created_by_fkey foreign key (tenant_id, created_by)
    references public.members (tenant_id, id) on delete cascade,
  constraint conversations_kind_valid check (kind in ('direct', 'group')),
  constraint conversations_direct_pair check (
    (kind = 'direct') = (direct_low is not null and direct_high is not null)
    and (direct_low is null or direct_low < direct_high)),
  constraint conversations_direct_unique unique (tenant_id, direct_low, direct_high),
  constraint conversations_title_length check (char_length(title) <= 100)
);

create index conversations_created_by_idx on public.conversations (tenant_id, created_by);

alter table public.conversations enable row level security;
alter table public.conversations force row level security;
create policy tenant_isolation on public.conversations
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Who is in a conversation: current members have left_at null. last_read_at is the member's
-- read mark (messages after it are unread).
create table public.conversation_members (
  tenant_id uuid not null,
  conversation_id uuid not null,
  member_id uuid not null,
  joined_at timestamptz not null default now(),
  left_at timestamptz,
  last_read_at timestamptz not null default now(),
  constraint conversation_members_pkey primary key (tenant_id, conversation_id, member_id),
  constraint conversation_members_conversation_fkey foreign key (tenant_id, conversation_id)
    references public.conversations (tenant_id, id) on delete cascade,
  constraint conversation_members_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

-- A member's conversations (then ordered by the conversation's last_message_at).
create index conversation_members_member_idx
  on public.conversation_members (tenant_id, member_id);

alter table public.conversation_members enable row level security;
alter table public.conversation_members force row level security;
create policy tenant_isolation on public.conversation_members
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.messages (
  tenant_id uuid not null,
  id uuid not null,
  conversation_id uuid not null,
  author_id uuid not null,
  body text not null,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  -- Deleted by its author: the text is gone, a "deleted" mark stays in the conversation.
  deleted_at timestamptz,
  constraint messages_pkey primary key (tenant_id, id),
  constraint messages_conversation_fkey foreign key (tenant_id, conversation_id)
    references public.conversations (tenant_id, id) on delete cascade,
  constraint messages_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint messages_body_length check (
    (deleted_at is null and char_length(body) between 1 and 5000)
    or (deleted_at is not null and body = ''))
);

create index messages_conversation_idx
  on public.messages (tenant_id, conversation_id, created_at desc, id desc);
create index messages_author_idx on public.messages (tenant_id, author_id);

alter table public.messages enable row level security;
alter table public.messages force row level security;
create policy tenant_isolation on public.messages
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- member_id has blocked blocked_id: no new conversation or message from blocked_id to member_id.
create table public.member_blocks (
  tenant_id uuid not null,
  member_id uuid not null,
  blocked_id uuid not null,
  created_at timestamptz not null default now(),
  constraint member_blocks_pkey primary key (tenant_id, member_id, blocked_id),
  constraint member_blocks_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint member_blocks_blocked_fkey foreign key (tenant_id, blocked_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint member_blocks_not_self check (member_id <> blocked_id)
);

create index member_blocks_blocked_idx on public.member_blocks (tenant_id, blocked_id);

alter table public.member_blocks enable row level security;
alter table public.member_blocks force row level security;
create policy tenant_isolation on public.member_blocks
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- A message reported to the secretariat's moderation queue, with a copy of its text at the time
-- (the only part of a private conversation the secretariat may read).
create table public.message_reports (
  tenant_id uuid not null,
  id uuid not null,
  message_id uuid not null,
  reporter_id uuid not null,
  reason text not null default '',
  message_text text not null,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  constraint message_reports_pkey primary key (tenant_id, id),
  constraint message_reports_message_fkey foreign key (tenant_id, message_id)
    references public.messages (tenant_id, id) on delete cascade,
  constraint message_reports_reporter_fkey foreign key (tenant_id, reporter_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint message_reports_once unique (tenant_id, message_id, reporter_id),
  constraint message_reports_reason_length check (char_length(reason) <= 1000)
);

create index message_reports_reporter_idx on public.message_reports (tenant_id, reporter_id);
create index message_reports_open_idx on public.message_reports (tenant_id, created_at)
  where resolved_at is null;

alter table public.message_reports enable row level security;
alter table public.message_reports force row level security;
create policy tenant_isolation on public.message_reports
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
