-- Comments on an event (questions to the organiser, "see you there"), as on articles.
create table public.event_comments (
  tenant_id uuid not null,
  id uuid not null,
  event_id uuid not null,
  author_id uuid not null,
  body text not null,
  created_at timestamptz not null default now(),
  constraint event_comments_pkey primary key (tenant_id, id),
  constraint event_comments_event_fkey foreign key (tenant_id, event_id)
    references public.events (tenant_id, id) on delete cascade,
  constraint event_comments_author_fkey foreign key (tenant_id, author_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint event_comments_body_length check (char_length(body) between 1 and 2000)
);

create index event_comments_event_idx on public.event_comments (tenant_id, event_id, created_at);
create index event_comments_author_idx on public.event_comments (tenant_id, author_id);

alter table public.event_comments enable row level security;
alter table public.event_comments force row level security;
create policy tenant_isolation on public.event_comments
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
