-- Support sessions (docs/adr/0004-support-sessions.md): staff enter a network within a live
-- grant as the network's "Tsunagu CS" member, while the transaction's actor is the staff person.

-- The CS member of a network: authors what staff draft, never signs in, never listed (every
-- member list reads status = 'active').
alter table public.members drop constraint members_status_valid;
alter table public.members add constraint members_status_valid check (status in
  ('pending_verification', 'pending_approval', 'active', 'rejected', 'suspended', 'removed',
   'support'));

-- Run by the kernel when it opens a transaction as a staff actor: refuses unless the grant named
-- in the transaction's settings belongs to this tenant (row-level security) and is live at the
-- database's clock. A revoke or the expiry therefore stops the next transaction whatever the
-- web tier believes.
create function app.require_live_support_grant() returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
  grant_id uuid := nullif(current_setting('app.support_grant_id', true), '')::uuid;
begin
  if app.current_actor_kind() is distinct from 'staff' then
    return;
  end if;
  if grant_id is null or not exists (
    select 1 from public.support_grants g
    where g.tenant_id = app.current_tenant_id() and g.id = grant_id
      and g.revoked_at is null and g.starts_at <= now() and g.expires_at > now()
  ) then
    raise exception 'no live support grant for this staff actor'
      using errcode = 'TSG01';
  end if;
end
$$;

revoke all on function app.require_live_support_grant() from public;
grant execute on function app.require_live_support_grant() to tsunagu_app;
