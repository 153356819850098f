-- Billing with Stripe (issue #19, docs/BILLING.md). Platform data about paying for a network,
-- never tenant content, so no row-level security: the network's billing page reads its own row
-- by the tenant of its transaction, and only the webhook (as tsunagu_platform, on the server's
-- platform pool) writes.

-- A network's Stripe customer and subscription, as the last applied webhook described them.
create table platform.billing_accounts (
  tenant_id uuid not null,
  stripe_customer_id text,
  stripe_subscription_id text,
  -- Stripe's subscription status: active, trialing, past_due, unpaid, canceled, incomplete,
  -- incomplete_expired, paused.
  subscription_status text,
  -- The plan the subscription's price is for (plans.toml key).
  subscription_plan text,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  -- When Stripe created the event whose subscription object is applied here: within one
  -- billing period, an older object never replaces a newer one.
  applied_event_created timestamptz,
  -- The latest invoice Stripe reported: paid or failed, its amount and when.
  last_invoice_status text,
  last_invoice_amount bigint,
  last_invoice_currency text,
  last_invoice_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint billing_accounts_pkey primary key (tenant_id),
  constraint billing_accounts_tenant_fkey foreign key (tenant_id)
    references platform.tenants (id) on delete cascade,
  constraint billing_accounts_customer_key unique (stripe_customer_id)
);

-- Every webhook event processed, by Stripe's event id, written in the same transaction as its
-- effect: a replayed or redelivered event finds its id here and changes nothing.
create table platform.stripe_events (
  event_id text not null,
  event_type text not null,
  tenant_id uuid,
  -- applied, or why nothing changed: stale, unknown_type, no_network.
  outcome text not null,
  event_created timestamptz not null,
  received_at timestamptz not null default now(),
  constraint stripe_events_pkey primary key (event_id),
  constraint stripe_events_tenant_fkey foreign key (tenant_id)
    references platform.tenants (id) on delete set null
);

create index stripe_events_tenant_idx on platform.stripe_events (tenant_id, received_at desc);

-- A payment that failed and was not yet recovered: the secretariat sees a banner, and when the
-- grace period after it has passed the network's paid features pause (the plan is kept; the
-- members and content are untouched). Cleared when an invoice is paid.
alter table platform.tenants add column payment_failed_at timestamptz;

grant select on platform.billing_accounts, platform.stripe_events to tsunagu_app;
grant select, insert, update on platform.billing_accounts, platform.stripe_events
  to tsunagu_platform;
