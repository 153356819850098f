-- Members of a tenant's network (alumni and employees), their one-time tokens, and invitations.
-- Tenant tables: see the conventions in the first migration.

create table public.members (
  tenant_id uuid not null,
  id uuid not null,
  -- Stored as typed; compared lowercased. Unique per tenant: the same address may hold separate
  -- accounts in different tenants.
  email text not null,
  email_normalized text not null,
  email_verified_at timestamptz,
  password_hash text not null,
  kind text not null,
  status text not null,
  role text not null default 'member',
  name_kanji text not null,
  name_kana text not null default '',
  name_romaji text not null default '',
  joined_year integer,
  left_year integer,
  department text not null default '',
  current_organisation text not null default '',
  preferred_locale text,
  rejection_reason text,
  approved_at timestamptz,
  approved_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint members_pkey primary key (tenant_id, id),
  constraint members_tenant_fkey foreign key (tenant_id) references platform.tenants (id) on delete cascade,
  constraint members_email_key unique (tenant_id, email_normalized),
  constraint members_kind_valid check (kind in ('alumni', 'employee')),
  constraint members_status_valid check (status in
    ('pending_verification', 'pending_approval', 'active', 'rejected', 'suspended', 'removed')),
  constraint members_role_valid check (role in ('member', 'secretariat')),
  constraint members_locale_valid check (preferred_locale is null or preferred_locale in ('ja', 'en')),
  constraint members_years_valid check (
    (joined_year is null or joined_year between 1900 and 2100)
    and (left_year is null or left_year between 1900 and 2100)
    and (joined_year is null or left_year is null or left_year >= joined_year)),
  constraint members_name_length check (char_length(name_kanji) between 1 and 100)
);

create index members_status_idx on public.members (tenant_id, status, created_at);

alter table public.members enable row level security;
alter table public.members force row level security;
create policy tenant_isolation on public.members
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- Single-use, expiring tokens (email verification, password reset). Only a SHA-256 of the token
-- is stored: a database leak does not yield usable links.
create table public.member_tokens (
  tenant_id uuid not null,
  id uuid not null,
  member_id uuid not null,
  purpose text not null,
  token_hash bytea not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  constraint member_tokens_pkey primary key (tenant_id, id),
  constraint member_tokens_member_fkey foreign key (tenant_id, member_id)
    references public.members (tenant_id, id) on delete cascade,
  constraint member_tokens_hash_key unique (tenant_id, token_hash),
  constraint member_tokens_purpose_valid check (purpose in ('verify_email', 'reset_password'))
);

create index member_tokens_member_idx on public.member_tokens (tenant_id, member_id, purpose);

alter table public.member_tokens enable row level security;
alter table public.member_tokens force row level security;
create policy tenant_isolation on public.member_tokens
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

create table public.invitations (
  tenant_id uuid not null,
  id uuid not null,
  email text not null,
  email_normalized text not null,
  kind text not null,
  token_hash bytea not null,
  invited_by uuid not null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_member_id uuid,
  revoked_at timestamptz,
  sent_count integer not null default 1,
  last_sent_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint invitations_pkey primary key (tenant_id, id),
  constraint invitations_inviter_fkey foreign key (tenant_id, invited_by)
    references public.members (tenant_id, id) on delete cascade,
  constraint invitations_hash_key unique (tenant_id, token_hash),
  constraint invitations_kind_valid check (kind in ('alumni', 'employee'))
);

-- At most one open invitation per address.
create unique index invitations_open_email_key on public.invitations (tenant_id, email_normalized)
  where accepted_at is null and revoked_at is null;

alter table public.invitations enable row level security;
alter table public.invitations force row level security;
create policy tenant_isolation on public.invitations
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));

-- What the secretariat (and, later, support staff) did, visible to the tenant.
create table public.audit_events (
  tenant_id uuid not null,
  id uuid not null,
  actor_kind text not null,
  actor_id uuid,
  action text not null,
  subject_type text not null,
  subject_id uuid,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint audit_events_pkey primary key (tenant_id, id)
);

create index audit_events_recent_idx on public.audit_events (tenant_id, created_at desc);

alter table public.audit_events enable row level security;
alter table public.audit_events force row level security;
create policy tenant_isolation on public.audit_events
  using (tenant_id = (select app.current_tenant_id()))
  with check (tenant_id = (select app.current_tenant_id()));
