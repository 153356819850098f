-- Schemas, grants and the tenant-context helpers.
--
-- Conventions for every migration in this folder:
-- * lowercase sql, plural table names, `<singular>_id` columns, named constraints;
-- * forward-only: expand first (add nullable / new objects), contract in a later release;
-- * platform data (tenant registry, staff, billing ids) lives in schema `platform` and has no RLS;
--   it is never keyed by the current tenant;
-- * every tenant-owned table lives in schema `public` and has `tenant_id uuid not null`, a primary
--   key `(tenant_id, id)`, unique and foreign keys that include `tenant_id`, row-level security
--   enabled and forced, and exactly one policy `tenant_isolation` with using and with check on
--   `tenant_id = (select app.current_tenant_id())`. tests/integration/catalog.rs enforces this.

create schema if not exists app;
create schema if not exists platform;

grant usage on schema app, platform, public to tsunagu_app;

-- The tenant of the current transaction, or null when none is set. `begin_tenant` sets it with
-- set_config(..., true), which is transaction-local, so it cannot leak to the next user of a pooled
-- connection. After such a transaction ends the setting reads as '' rather than null, hence nullif.
-- A null tenant matches no row and fails every with-check: RLS fails closed.
create function app.current_tenant_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Who is acting ('system', 'member', 'staff', 'anonymous') and their id, for audit columns.
create function app.current_actor_kind() returns text
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.actor_kind', true), '') $$;

create function app.current_actor_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.actor_id', true), '')::uuid $$;

grant execute on all functions in schema app to tsunagu_app;

-- DML only, and only on what later migrations create as the owner.
alter default privileges for role tsunagu_owner in schema public
  grant select, insert, update, delete on tables to tsunagu_app;
alter default privileges for role tsunagu_owner in schema platform
  grant select, insert, update, delete on tables to tsunagu_app;
alter default privileges for role tsunagu_owner in schema app
  grant execute on functions to tsunagu_app;
alter default privileges for role tsunagu_owner in schema public, platform
  grant usage, select on sequences to tsunagu_app;
