-- Database roles for Tsunagu. Idempotent: safe to run on every deploy and by `tsunagu migrate`.
--
-- tsunagu_owner owns the schema and runs migrations. It never serves requests.
-- tsunagu_app is what the server, the worker and the tests connect as: it can log in, owns nothing,
-- is not a superuser and cannot bypass row-level security, so every tenant query is filtered by the
-- policies the migrations install. Passwords are set outside this file (secrets never live in git).
-- tsunagu_aggregates cannot log in. It owns the functions that give the console figures across
-- tenants (`platform.tenant_health()`); it reads past row-level security, but the migrations grant
-- it only the columns those figures need (no names, emails, posts or messages), so the console
-- reads aggregates by construction, not by care (docs/CONSOLE.md). Creating a role that bypasses
-- row-level security needs a superuser.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'tsunagu_owner') then
    create role tsunagu_owner nologin;
  end if;
    if not exists (select 1 from pg_roles where rolname = 'tsunagu_app') then
    create role tsunagu_app login;
  end if;
    if not exists (select 1 from pg_roles where rolname = 'tsunagu_aggregates') then
    create role tsunagu_aggregates nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'tsunagu_platform') then
    create role tsunagu_platform login;
  end if;
end
$$;

-- Re-assert the attributes every time, so a role created by hand with the wrong ones is corrected.
alter role tsunagu_owner nosuperuser nocreaterole nobypassrls;
alter role tsunagu_aggregates nologin nosuperuser nocreatedb nocreaterole noinherit bypassrls;
-- tsunagu_platform writes the platform's own tables (tenants, custom domains, staff accounts):
-- `tenant apply`, `staff create` and the loaders connect as it (PLATFORM_DATABASE_URL). The role
-- that serves pages may only read them, so a bug or injection in any page cannot create a tenant
-- or a staff account. It is subject to row-level security like the app.
alter role tsunagu_platform login nosuperuser nocreatedb nocreaterole noinherit nobypassrls;
alter role tsunagu_platform set statement_timeout = '60s';
-- The owner hands the aggregate functions to it (ALTER FUNCTION … OWNER needs the membership).
grant tsunagu_aggregates to tsunagu_owner;
grant tsunagu_platform to tsunagu_owner;
alter role tsunagu_app login nosuperuser nocreatedb nocreaterole noinherit nobypassrls;
-- Our queries are short and index-driven (tenant first, then a limit). PostgreSQL estimates
-- their cost from whole-table statistics, so in a database with one very large tenant it JIT-
-- compiles queries that then read twenty rows: milliseconds of LLVM for microseconds of work
-- (seen in `just bench` and the scale loader). JIT stays off for the application role.
alter role tsunagu_app set jit = off;
-- Every connection of the app shares one pool across all tenants, so no statement may hold one
-- for long: 5 s is far above any page's queries (milliseconds) and ends a runaway before it
-- starves other networks. Searches get less (kernel::db::SEARCH_STATEMENT_TIMEOUT); command-line
-- loads that insert millions of rows lift it for their own transaction only
-- (`Db::begin_tenant_batch`). Keep kernel::db::ROLE_STATEMENT_TIMEOUT in step.
alter role tsunagu_app set statement_timeout = '5s';

-- The role that runs this file (a superuser or a role with CREATEROLE) must be able to act as the
-- owner to run migrations with the owner's identity.
do $$
begin
  if not pg_has_role(current_user, 'tsunagu_owner', 'member') then
    execute format('grant tsunagu_owner to %I', current_user);
  end if;
end
$$;
