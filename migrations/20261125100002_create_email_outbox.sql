-- The durable email outbox: an email is a row written in the same transaction as the action that
-- caused it, so it is sent if and only if the action committed. `tsunagu worker` delivers it.

create table public.email_outbox (
  tenant_id uuid not null,
  id uuid not null,
  to_address text not null,
  kind text not null,
  locale text not null,
  subject text not null,
  text_body text not null,
  html_body text not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  constraint email_outbox_pkey primary key (tenant_id, id),
  constraint email_outbox_status_valid check (status in ('pending', 'sent', 'failed'))
);

create index email_outbox_due_idx on public.email_outbox (tenant_id, next_attempt_at)
  where status = 'pending';
create index email_outbox_recent_idx on public.email_outbox (tenant_id, created_at desc);

alter table public.email_outbox enable row level security;
alter table public.email_outbox force row level security;
create policy tenant_isolation on public.email_outbox
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Which tenants have work due, so the worker need not visit every tenant. Platform data, no tenant
-- data: only a tenant id and a time, written in the same transaction as the outbox row.
create table platform.work_signals (
  tenant_id uuid not null,
  queue text not null,
  due_at timestamptz not null,
  constraint work_signals_pkey primary key (tenant_id, queue),
  constraint work_signals_tenant_fkey foreign key (tenant_id) references platform.tenants (id)
    on delete cascade
);

create index work_signals_due_idx on platform.work_signals (queue, due_at);
