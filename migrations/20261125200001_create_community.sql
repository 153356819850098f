-- Community core: profile fields and directory search on members, the timeline (posts, likes,
-- comments) and 募集 recruitments (reactions, follow-up lists). Tenant tables: see the conventions
-- in the first migration.

-- Profile fields (expand: all with defaults, nothing existing changes).
alter table public.members
  add column title text not null default '',
  add column skills text[] not null default '{}',
  add column ask_me_about text not null default '',
  add column links jsonb not null default '[]'::jsonb,
  add column custom_fields jsonb not null default '{}'::jsonb,
  -- field name → audience ('members', 'employees', 'secretariat'); absent means 'members'.
  add column field_visibility jsonb not null default '{}'::jsonb,
  add column profile_updated_at timestamptz not null default now(),
  -- Normalised searchable text (kernel::search), maintained by the app; its tokens live in
  -- member_search_tokens.
  add column search_text text not null default '';

create index members_directory_idx on public.members (tenant_id, status, name_kana, id);

-- Directory search tokens (unigrams and bigrams of search_text), one row per token. A btree on
-- (tenant_id, token) rather than a GIN index on an array column: under row-level security only
-- leakproof operators may be used as index conditions, and text equality is leakproof while array
-- containment (@>) is not, so a GIN search would fall back to scanning every row of the tenant.
create table public.member_search_tokens (
  tenant_id uuid not null,
  token text not null,
  member_id uuid not null,
  constraint member_search_tokens_pkey primary key (tenant_id, token, member_id),
  constraint member_search_tokens_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

create index member_search_tokens_member_idx on public.member_search_tokens (tenant_id, member_id);

alter table public.member_search_tokens enable row level security;
alter table public.member_search_tokens force row level security;
create policy tenant_isolation on public.member_search_tokens
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.posts (
  tenant_id uuid not null,
  id uuid not null,
  author_id uuid not null,
  body text not null,
  -- 'post' or 'casual' (a light "near the office on Friday" post that may expire).
  kind text not null default 'post',
  expires_at timestamptz,
  hidden_at timestamptz,
  hidden_by uuid,
  like_count integer not null default 0,
  comment_count integer not null default 0,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  constraint posts_pkey primary key (tenant_id, id),
  constraint posts_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint posts_kind_valid check (kind in ('post', 'casual')),
  constraint posts_body_length check (char_length(body) between 1 and 5000)
);

-- The feed: newest first, keyset on (created_at, id).
create index posts_feed_idx on public.posts (tenant_id, created_at desc, id desc);

alter table public.posts enable row level security;
alter table public.posts force row level security;
create policy tenant_isolation on public.posts
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.post_likes (
  tenant_id uuid not null,
  post_id uuid not null,
  member_id uuid not null,
  created_at timestamptz not null default now(),
  constraint post_likes_pkey primary key (tenant_id, post_id, member_id),
  constraint post_likes_post_fkey foreign key (tenant_id, post_id)
    references public.posts (tenant_id, id) on delete cascade,
  constraint post_likes_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

alter table public.post_likes enable row level security;
alter table public.post_likes force row level security;
create policy tenant_isolation on public.post_likes
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.post_comments (
  tenant_id uuid not null,
  id uuid not null,
  post_id uuid not null,
  author_id uuid not null,
  body text not null,
  hidden_at timestamptz,
  created_at timestamptz not null default now(),
  constraint post_comments_pkey primary key (tenant_id, id),
  constraint post_comments_post_fkey foreign key (tenant_id, post_id)
    references public.posts (tenant_id, id) on delete cascade,
  constraint post_comments_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint post_comments_body_length check (char_length(body) between 1 and 2000)
);

create index post_comments_post_idx on public.post_comments (tenant_id, post_id, created_at);

alter table public.post_comments enable row level security;
alter table public.post_comments force row level security;
create policy tenant_isolation on public.post_comments
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.recruitments (
  tenant_id uuid not null,
  id uuid not null,
  author_id uuid not null,
  title text not null,
  body text not null,
  deadline date,
  status text not null default 'open',
  cheer_count integer not null default 0,
  interested_count integer not null default 0,
  see_later_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint recruitments_pkey primary key (tenant_id, id),
  constraint recruitments_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint recruitments_status_valid check (status in ('open', 'closed')),
  constraint recruitments_title_length check (char_length(title) between 1 and 200),
  constraint recruitments_body_length check (char_length(body) between 1 and 10000)
);

create index recruitments_recent_idx on public.recruitments (tenant_id, created_at desc, id desc);

alter table public.recruitments enable row level security;
alter table public.recruitments force row level security;
create policy tenant_isolation on public.recruitments
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- 応援する cheer / 興味ある interested / あとで見る see later: independent toggles.
create table public.recruitment_reactions (
  tenant_id uuid not null,
  recruitment_id uuid not null,
  member_id uuid not null,
  reaction text not null,
  created_at timestamptz not null default now(),
  constraint recruitment_reactions_pkey primary key (tenant_id, recruitment_id, member_id, reaction),
  constraint recruitment_reactions_recruitment_fkey foreign key (tenant_id, recruitment_id)
    references public.recruitments (tenant_id, id) on delete cascade,
  constraint recruitment_reactions_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint recruitment_reactions_reaction_valid check (reaction in ('cheer', 'interested', 'see_later'))
);

create index recruitment_reactions_member_idx on public.recruitment_reactions (tenant_id, member_id, reaction, created_at desc);

alter table public.recruitment_reactions enable row level security;
alter table public.recruitment_reactions force row level security;
create policy tenant_isolation on public.recruitment_reactions
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- "Gather the interested": the author's or secretariat's follow-up list for a recruitment.
create table public.recruitment_followups (
  tenant_id uuid not null,
  recruitment_id uuid not null,
  member_id uuid not null,
  status text not null default 'to_contact',
  note text not null default '',
  updated_at timestamptz not null default now(),
  constraint recruitment_followups_pkey primary key (tenant_id, recruitment_id, member_id),
  constraint recruitment_followups_recruitment_fkey foreign key (tenant_id, recruitment_id)
    references public.recruitments (tenant_id, id) on delete cascade,
  constraint recruitment_followups_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint recruitment_followups_status_valid check (status in ('to_contact', 'contacted', 'met', 'declined')),
  constraint recruitment_followups_note_length check (char_length(note) <= 2000)
);

alter table public.recruitment_followups enable row level security;
alter table public.recruitment_followups force row level security;
create policy tenant_isolation on public.recruitment_followups
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
