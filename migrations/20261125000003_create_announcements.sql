-- Announcements from the secretariat, shown on a network's home page. The first tenant table, and
-- the model for every later one (see the conventions in the first migration).

create table public.announcements (
  tenant_id uuid not null,
  id uuid not null,
  title text not null,
  body text not null,
  published_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint announcements_pkey primary key (tenant_id, id),
  constraint announcements_tenant_fkey foreign key (tenant_id) references platform.tenants (id)
    on delete cascade,
  constraint announcements_title_length check (char_length(title) between 1 and 200),
  constraint announcements_body_length check (char_length(body) between 1 and 10000)
);

create index announcements_recent_idx on public.announcements (tenant_id, published_at desc, id desc);

alter table public.announcements enable row level security;
alter table public.announcements force row level security;
create policy tenant_isolation on public.announcements
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
