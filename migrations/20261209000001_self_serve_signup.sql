-- Self-serve sign-up (issue #19, docs/ONBOARDING.md, ADR 0005). A company that signs up on the
-- apex site gets a network at once, held as 'pending' until its first secretariat confirms the
-- email address: the slug is taken at the moment of sign-up (the unique constraint decides a race
-- between two sign-ups, or a sign-up and a tenant-config file), but nobody can use the network
-- before the address is proven.

alter table platform.tenants drop constraint tenants_status_valid;
alter table platform.tenants add constraint tenants_status_valid
  check (status in ('pending', 'active', 'suspended'));

-- Where the network came from: a tenant-config file (`tenant apply`) or the apex sign-up.
alter table platform.tenants add column origin text not null default 'file';
alter table platform.tenants add constraint tenants_origin_valid
  check (origin in ('file', 'self_serve'));
-- The plan the company chose at sign-up. A network starts on Free whatever it chose; a paid
-- plan starts when Stripe says it is paid (docs/BILLING.md). The secretariat lands on the billing
-- page to finish the upgrade.
alter table platform.tenants add column signup_plan text;



-- The one insert into the tenant registry a page may make. The app role cannot write
-- platform.tenants; this function can create only a pending, self-serve network on Free whose id
-- is the tenant the calling transaction is set to (so the same transaction then creates its first
-- secretariat under row-level security), and refuses the platform's reserved labels.
create function platform.create_self_serve_tenant(
  new_slug text, new_name text, new_locale text, new_time_zone text, chosen_plan text)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
begin
  if tenant is null then
    raise exception 'create_self_serve_tenant needs a tenant transaction' using errcode = '42501';
  end if;
  if new_slug in ('www', 'console', 'api', 'static', 'admin') then
    raise exception '% is reserved for the platform', new_slug using errcode = '22023';
  end if;
  if char_length(btrim(new_name)) not between 1 and 100 then
    raise exception 'a network name is 1 to 100 characters' using errcode = '22023';
  end if;
  insert into platform.tenants
    (id, slug, name, status, default_locale, time_zone, plan, origin, signup_plan, branding, signup)
  values
    (tenant, new_slug, btrim(new_name), 'pending', new_locale, new_time_zone, 'free', 'self_serve',
     chosen_plan,
     jsonb_build_object('logo_text', left(btrim(new_name), 2)),
     jsonb_build_object('alumni_policy', 'approval', 'employee_email_domains', '[]'::jsonb));
end
$$;

-- Opens a pending self-serve network: called when its first secretariat confirms the address.
-- Returns whether this call opened it (false when it was already open, or is not self-serve).
create function platform.open_self_serve_tenant()
returns boolean
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  opened boolean;
begin
  if tenant is null then
    raise exception 'open_self_serve_tenant needs a tenant transaction' using errcode = '42501';
  end if;
  update platform.tenants set status = 'active', updated_at = now()
    where id = tenant and status = 'pending' and origin = 'self_serve';
  get diagnostics opened = row_count;
  return opened;
end
$$;

revoke all on function platform.create_self_serve_tenant(text, text, text, text, text) from public;
revoke all on function platform.open_self_serve_tenant() from public;
grant execute on function platform.create_self_serve_tenant(text, text, text, text, text) to tsunagu_app;
grant execute on function platform.open_self_serve_tenant() to tsunagu_app;
alter function platform.create_self_serve_tenant(text, text, text, text, text) owner to tsunagu_platform;
alter function platform.open_self_serve_tenant() owner to tsunagu_platform;
