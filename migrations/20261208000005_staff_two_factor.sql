-- Two-factor sign-in for console staff (RFC 6238 TOTP, docs/CONSOLE.md "Staff sign-in").
alter table platform.staff_users
  add column totp_secret text,
  add column totp_enabled_at timestamptz,
  add constraint staff_users_totp_together check ((totp_secret is null) = (totp_enabled_at is null));

-- The console (tsunagu_app, which may not write staff accounts) turns a staff member's second
-- factor on, once: it cannot replace a second factor already set, nor touch a disabled account.
-- Turning it off again is for `tsunagu staff reset-2fa` (tsunagu_platform).
create function platform.enable_staff_totp(staff uuid, secret text) returns boolean
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  with enabled as (
    update platform.staff_users set totp_secret = secret, totp_enabled_at = now()
    where id = staff and totp_secret is null and disabled_at is null
      and char_length(secret) between 16 and 128
    returning 1
  )
  select exists (select 1 from enabled)
$$;

revoke all on function platform.enable_staff_totp(uuid, text) from public;
grant execute on function platform.enable_staff_totp(uuid, text) to tsunagu_app;
alter function platform.enable_staff_totp(uuid, text) owner to tsunagu_platform;
