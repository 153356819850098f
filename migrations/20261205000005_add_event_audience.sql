-- A survey for the members who came to an event (the post-event survey, docs/EVENTS.md): its
-- audience is the event's checked-in attendees.
alter table public.surveys add column audience_event_id uuid;

alter table public.surveys drop constraint surveys_audience_valid;
alter table public.surveys add constraint surveys_audience_valid
  check (audience in ('everyone', 'alumni', 'employees', 'segment', 'event'));
alter table public.surveys add constraint surveys_audience_event_set
  check ((audience = 'event') = (audience_event_id is not null));
alter table public.surveys add constraint surveys_audience_event_fkey
  foreign key (tenant_id, audience_event_id) references public.events (tenant_id, id)
  on delete cascade;

create index surveys_audience_event_idx on public.surveys (tenant_id, audience_event_id);
