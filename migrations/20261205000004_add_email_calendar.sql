-- An email may carry a calendar file (an event's confirmation, change or cancellation): sent as
-- a text/calendar attachment next to the text and HTML parts (docs/EVENTS.md).
alter table public.email_outbox add column calendar text;
