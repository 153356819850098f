-- Platform staff (customer success, platform admins) who sign in at console.{base}. Platform
-- data, no tenant data: staff are not members of any tenant and reach a tenant only through a
-- support grant (later).

create table platform.staff_users (
  id uuid not null,
  email text not null,
  email_normalized text not null,
  name text not null,
  password_hash text not null,
  role text not null default 'cs',
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  constraint staff_users_pkey primary key (id),
  constraint staff_users_email_key unique (email_normalized),
  constraint staff_users_role_valid check (role in ('cs', 'admin'))
);
