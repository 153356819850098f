-- An event's cover image (stored under the tenant's media directory with the articles' covers).
alter table public.events add column cover_key text;
