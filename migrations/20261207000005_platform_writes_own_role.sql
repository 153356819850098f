-- Least privilege for the platform's tables: the role that serves every page (tsunagu_app) keeps
-- SELECT on the tenant registry, custom domains and staff accounts (host resolution and staff
-- sign-in read them) but can no longer write them; tsunagu_platform (deploy/sql/roles.sql), used
-- by `tenant apply`, `staff create` and the loaders, does. The one write a page makes — the
-- secretariat saving a settings section — goes through platform.save_tenant_settings(), which
-- can change only the sections of the tenant the transaction is set to.

revoke insert, update, delete, truncate on platform.tenants, platform.custom_domains,
  platform.staff_users from tsunagu_app;
grant usage on schema platform to tsunagu_platform;
grant select, insert, update, delete on platform.tenants, platform.custom_domains,
  platform.staff_users to tsunagu_platform;
grant create on schema platform to tsunagu_platform;

create function platform.save_tenant_settings(section text, value jsonb)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  edited text := to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
begin
  if tenant is null then
    raise exception 'save_tenant_settings needs a tenant transaction' using errcode = '42501';
  end if;
  if section not in ('branding', 'signup', 'features', 'email_defaults')
     or jsonb_typeof(value) <> 'object' then
    raise exception 'save_tenant_settings: % is not an editable section', section
      using errcode = '22023';
  end if;
  update platform.tenants set
    branding = case when section = 'branding' then value else branding end,
    signup = case when section = 'signup' then value else signup end,
    features = case when section = 'features' then value else features end,
    email_defaults = case when section = 'email_defaults' then value else email_defaults end,
    ui_edited = ui_edited || jsonb_build_object(section, edited),
    updated_at = now()
  where id = tenant;
end
$$;

revoke all on function platform.save_tenant_settings(text, jsonb) from public;
grant execute on function platform.save_tenant_settings(text, jsonb) to tsunagu_app;
alter function platform.save_tenant_settings(text, jsonb) owner to tsunagu_platform;
