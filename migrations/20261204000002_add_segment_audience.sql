-- A saved segment as a survey's audience: the survey is for the members in the segment when they
-- open it (segments are live, so new answers to the source survey widen the audience).

alter table public.surveys add column audience_segment_id uuid;

alter table public.surveys drop constraint surveys_audience_valid;
alter table public.surveys add constraint surveys_audience_valid
  check (audience in ('everyone', 'alumni', 'employees', 'segment'));
alter table public.surveys add constraint surveys_audience_segment_set
  check ((audience = 'segment') = (audience_segment_id is not null));
-- A segment in use as an audience stays (segments are not deleted today; this keeps it so).
alter table public.surveys add constraint surveys_audience_segment_fkey
  foreign key (tenant_id, audience_segment_id) references public.segments (tenant_id, id);

create index surveys_audience_segment_idx on public.surveys (tenant_id, audience_segment_id)
  where audience_segment_id is not null;
