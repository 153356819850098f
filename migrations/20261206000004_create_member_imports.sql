-- CSV imports of members by the secretariat (docs/SECRETARIAT.md): the file's rows as read
-- (raw fields, so that a changed column mapping re-checks them without another upload), the
-- mapping the secretariat confirmed, and the background run's progress. An imported row becomes
-- an invitation carrying the person's details; the invitation email is optional.
-- Tenant tables: see the conventions in the first migration.

alter table public.invitations
  -- What the secretariat knew of the person (an import): prefills the join form.
  add column profile jsonb not null default '{}'::jsonb;

create table public.member_imports (
  tenant_id uuid not null,
  id uuid not null,
  created_by uuid not null,
  file_name text not null,
  encoding text not null,
  delimiter text not null,
  headers jsonb not null,
  -- One field name (or null: ignored) per column.
  mapping jsonb not null,
  total_rows integer not null,
  -- preview: read, waiting for the secretariat; queued / running: being imported; done.
  status text not null default 'preview',
  send_invitations boolean not null default false,
  processed_rows integer not null default 0,
  invited integer not null default 0,
  skipped integer not null default 0,
  failed integer not null default 0,
  -- A running import is the worker's until then; past it, another worker may take it over.
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  constraint member_imports_pkey primary key (tenant_id, id),
  constraint member_imports_created_by_fkey foreign key (tenant_id, created_by)
    references public.members (tenant_id, id) on delete cascade,
  constraint member_imports_status_valid check (status in ('preview', 'queued', 'running', 'done')),
  constraint member_imports_file_name_length check (char_length(file_name) <= 255),
  constraint member_imports_counts check (
    processed_rows between 0 and total_rows and invited + skipped + failed = processed_rows)
);

create index member_imports_created_by_idx on public.member_imports (tenant_id, created_by);
create index member_imports_pending_idx on public.member_imports (tenant_id, status)
  where status in ('queued', 'running');

alter table public.member_imports enable row level security;
alter table public.member_imports force row level security;
create policy tenant_isolation on public.member_imports
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.member_import_rows (
  tenant_id uuid not null,
  import_id uuid not null,
  -- 1 is the first row under the header.
  row_number integer not null,
  fields jsonb not null,
  -- invited, skipped (already a member or invited) or failed; null until imported.
  outcome text,
  -- The row's problems when it was imported (import.row_error keys).
  errors text[] not null default '{}',
  constraint member_import_rows_pkey primary key (tenant_id, import_id, row_number),
  constraint member_import_rows_import_fkey foreign key (tenant_id, import_id)
    references public.member_imports (tenant_id, id) on delete cascade,
  constraint member_import_rows_outcome_valid check (outcome in ('invited', 'skipped', 'failed'))
);

alter table public.member_import_rows enable row level security;
alter table public.member_import_rows force row level security;
create policy tenant_isolation on public.member_import_rows
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
