-- Plans and entitlements (docs/BILLING.md): a sign-up that would take a network past its plan's
-- member cap waits in the approval queue, marked as held by the plan; an upgrade releases the
-- held ones, oldest first. Nothing is refused or deleted.
alter table public.members add column held_for_plan boolean not null default false;
create index members_held_for_plan_idx on public.members (tenant_id, created_at)
  where held_for_plan;
