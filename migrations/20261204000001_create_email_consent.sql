-- Email with consent (APPI): per member and category a choice of off / immediately / in the
-- weekly digest, the history of every change with its time and source, the network's defaults
-- (tenant-config `[email_defaults]`), and the one-click unsubscribe address an email carries.
-- Tenant tables: see the conventions in the first migration.

-- Defaults for members who have not chosen, per category (`tenancy::email::EmailDefaults`);
-- missing keys fall back to the product's defaults.
alter table platform.tenants add column email_defaults jsonb not null default '{}';

-- A member's own choice for a category. No row: the network's default applies.
create table public.email_preferences (
  tenant_id uuid not null,
  member_id uuid not null,
  category text not null,
  delivery text not null,
  updated_at timestamptz not null default now(),
  constraint email_preferences_pkey primary key (tenant_id, member_id, category),
  constraint email_preferences_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint email_preferences_category_valid check (category in
    ('messages', 'my_posts', 'recruitments', 'articles', 'events', 'surveys', 'digest')),
  constraint email_preferences_delivery_valid check (delivery in ('off', 'immediately', 'digest')),
  -- The digest is itself the weekly email: on or off.
  constraint email_preferences_digest_choice check (category <> 'digest' or delivery <> 'immediately')
);

alter table public.email_preferences enable row level security;
alter table public.email_preferences force row level security;
create policy tenant_isolation on public.email_preferences
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Every change of consent, kept as evidence: what was chosen, when, and how (the settings page,
-- or the unsubscribe link of an email, which works signed out).
create table public.email_consent_changes (
  tenant_id uuid not null,
  id uuid not null,
  member_id uuid not null,
  category text not null,
  delivery text not null,
  source text not null,
  changed_at timestamptz not null default now(),
  constraint email_consent_changes_pkey primary key (tenant_id, id),
  constraint email_consent_changes_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint email_consent_changes_category_valid check (category in
    ('messages', 'my_posts', 'recruitments', 'articles', 'events', 'surveys', 'digest')),
  constraint email_consent_changes_delivery_valid check (delivery in ('off', 'immediately', 'digest')),
  constraint email_consent_changes_source_valid check (source in ('settings', 'unsubscribe_link'))
);

create index email_consent_changes_member_idx
  on public.email_consent_changes (tenant_id, member_id, changed_at desc);

alter table public.email_consent_changes enable row level security;
alter table public.email_consent_changes force row level security;
create policy tenant_isolation on public.email_consent_changes
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- RFC 8058: the signed one-click address of an email sent under a category's consent (null for
-- account emails such as verification, which a member cannot turn off).
alter table public.email_outbox add column list_unsubscribe text;

-- What became of an outreach's email: sent at once, left for the weekly digest, or not sent
-- because the member turned the category off (they still get the in-app notification).
alter table public.outreaches
  add column emailed integer not null default 0,
  add column email_digest integer not null default 0,
  add column email_off integer not null default 0;
