-- The weekly digest (docs/DIGEST.md). One row per member and week once the worker has dealt with
-- them: the email went out (sent) or there was nothing to tell (not sent). The primary key is the
-- idempotency key: the row and the email commit together, so a member gets at most one digest a
-- week even with several workers or after a restart.
create table public.digest_deliveries (
  tenant_id uuid not null,
  member_id uuid not null,
  week_start date not null,
  sent boolean not null,
  created_at timestamptz not null default now(),
  constraint digest_deliveries_pkey primary key (tenant_id, member_id, week_start),
  constraint digest_deliveries_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

alter table public.digest_deliveries enable row level security;
alter table public.digest_deliveries force row level security;
create policy tenant_isolation on public.digest_deliveries
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- A network's week, once every member has been dealt with: later runs of the worker skip it
-- without walking the members again.
create table public.digest_weeks (
  tenant_id uuid not null,
  week_start date not null,
  members integer not null,
  sent integer not null,
  started_at timestamptz not null,
  completed_at timestamptz not null default now(),
  constraint digest_weeks_pkey primary key (tenant_id, week_start)
);

alter table public.digest_weeks enable row level security;
alter table public.digest_weeks force row level security;
create policy tenant_isolation on public.digest_weeks
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
