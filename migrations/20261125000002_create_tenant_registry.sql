-- The tenant registry: platform data, no tenant data (looked up before any tenant is known, to turn
-- a Host header into a tenant), so these tables have no row-level security by design.

create table platform.tenants (
  id uuid not null,
  slug text not null,
  name text not null,
  status text not null default 'active',
  default_locale text not null,
  plan text not null default 'free',
  branding jsonb not null default '{}'::jsonb,
  features jsonb not null default '{}'::jsonb,
  signup jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenants_pkey primary key (id),
  constraint tenants_slug_key unique (slug),
  constraint tenants_slug_format check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$'),
  constraint tenants_status_valid check (status in ('active', 'suspended')),
  constraint tenants_locale_valid check (default_locale in ('ja', 'en'))
);

-- Verified custom domains (e.g. alumni.example.co.jp). Platform data, no tenant data rows are read
-- through it: it only maps a hostname to a tenant id, before any tenant is known.
create table platform.custom_domains (
  hostname text not null,
  tenant_id uuid not null,
  verification_token text not null,
  verified_at timestamptz,
  created_at timestamptz not null default now(),
  constraint custom_domains_pkey primary key (hostname),
  constraint custom_domains_tenant_fkey foreign key (tenant_id) references platform.tenants (id)
    on delete cascade,
  constraint custom_domains_hostname_lowercase check (hostname = lower(hostname))
);

create index custom_domains_tenant_idx on platform.custom_domains (tenant_id);
