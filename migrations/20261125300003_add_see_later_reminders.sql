-- "See later" reminders: when a member was last reminded of a saved 募集, so each is sent once.
alter table public.recruitment_reactions add column reminded_at timestamptz;
