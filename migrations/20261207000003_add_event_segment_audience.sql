-- A saved segment as an event's audience (as surveys have it): the event is for the members in
-- the segment when they look (segments are live). Only the secretariat picks one.
alter table public.events add column audience_segment_id uuid;
alter table public.events drop constraint events_audience_valid;
alter table public.events add constraint events_audience_valid
  check (audience in ('everyone', 'alumni', 'employees', 'segment'));
alter table public.events add constraint events_audience_segment_set
  check ((audience = 'segment') = (audience_segment_id is not null));
alter table public.events add constraint events_audience_segment_fkey
  foreign key (tenant_id, audience_segment_id) references public.segments (tenant_id, id);
create index events_audience_segment_idx on public.events (tenant_id, audience_segment_id)
  where audience_segment_id is not null;
