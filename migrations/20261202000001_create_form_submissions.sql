-- Form submissions already acted on, so that a form sent twice (a resubmission after an error
-- page, a double click, a retry by the browser) creates its post, comment or 募集 once. Each create
-- form carries a random token (`_form`); the handler records it in the same transaction as what
-- it creates, so the token exists if and only if the creation committed. Rows older than a day
-- are removed by the member's next submission (kernel::idempotency). Tenant table: see the
-- conventions in the first migration.

create table public.form_submissions (
  tenant_id uuid not null,
  -- The form's token: random per rendered form.
  id uuid not null,
  member_id uuid not null,
  created_at timestamptz not null default now(),
  constraint form_submissions_pkey primary key (tenant_id, id),
  constraint form_submissions_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade
);

create index form_submissions_member_idx on public.form_submissions (tenant_id, member_id, created_at);

alter table public.form_submissions enable row level security;
alter table public.form_submissions force row level security;
create policy tenant_isolation on public.form_submissions
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
