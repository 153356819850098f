-- Articles (コンテンツ), in-app notifications, and images (profile photos, article covers).
-- Image files live on disk under a tenant-prefixed path (see docs/COMMUNITY.md); the database only
-- holds their keys. Tenant tables: see the conventions in the first migration.

alter table public.members add column photo_key text;

create table public.articles (
  tenant_id uuid not null,
  id uuid not null,
  author_id uuid not null,
  title text not null,
  summary text not null default '',
  -- Sanitised on save (ammonia allow-list); rendered as-is.
  body_html text not null,
  cover_key text,
  status text not null default 'draft',
  publish_at timestamptz,
  like_count integer not null default 0,
  comment_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint articles_pkey primary key (tenant_id, id),
  constraint articles_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint articles_status_valid check (status in ('draft', 'scheduled', 'published')),
  constraint articles_publish_at_set check (status = 'draft' or publish_at is not null),
  constraint articles_title_length check (char_length(title) between 1 and 200)
);

create index articles_published_idx on public.articles (tenant_id, publish_at desc, id desc)
  where status <> 'draft';

alter table public.articles enable row level security;
alter table public.articles force row level security;
create policy tenant_isolation on public.articles
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.article_featured_members (
  tenant_id uuid not null,
  article_id uuid not null,
  member_id uuid not null,
  constraint article_featured_members_pkey primary key (tenant_id, article_id, member_id),
  constraint article_featured_members_article_fkey foreign key (tenant_id, article_id)
    references public.articles (tenant_id, id) on delete cascade,
  constraint article_featured_members_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

alter table public.article_featured_members enable row level security;
alter table public.article_featured_members force row level security;
create policy tenant_isolation on public.article_featured_members
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.article_comments (
  tenant_id uuid not null,
  id uuid not null,
  article_id uuid not null,
  author_id uuid not null,
  body text not null,
  hidden_at timestamptz,
  created_at timestamptz not null default now(),
  constraint article_comments_pkey primary key (tenant_id, id),
  constraint article_comments_article_fkey foreign key (tenant_id, article_id)
    references public.articles (tenant_id, id) on delete cascade,
  constraint article_comments_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint article_comments_body_length check (char_length(body) between 1 and 2000)
);

create index article_comments_article_idx on public.article_comments (tenant_id, article_id, created_at);

alter table public.article_comments enable row level security;
alter table public.article_comments force row level security;
create policy tenant_isolation on public.article_comments
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.article_likes (
  tenant_id uuid not null,
  article_id uuid not null,
  member_id uuid not null,
  created_at timestamptz not null default now(),
  constraint article_likes_pkey primary key (tenant_id, article_id, member_id),
  constraint article_likes_article_fkey foreign key (tenant_id, article_id)
    references public.articles (tenant_id, id) on delete cascade,
  constraint article_likes_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

alter table public.article_likes enable row level security;
alter table public.article_likes force row level security;
create policy tenant_isolation on public.article_likes
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.notifications (
  tenant_id uuid not null,
  id uuid not null,
  member_id uuid not null,
  -- post_commented, post_liked, recruitment_reacted, recruitment_changed, article_published,
  -- article_commented
  kind text not null,
  actor_id uuid,
  subject_title text not null default '',
  url text not null,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  constraint notifications_pkey primary key (tenant_id, id),
  constraint notifications_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint notifications_url_local check (url like '/%' and url not like '//%')
);

create index notifications_member_idx on public.notifications (tenant_id, member_id, created_at desc);
create index notifications_unread_idx on public.notifications (tenant_id, member_id) where read_at is null;

alter table public.notifications enable row level security;
alter table public.notifications force row level security;
create policy tenant_isolation on public.notifications
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
