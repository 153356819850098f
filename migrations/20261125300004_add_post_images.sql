-- An optional image on a timeline post (stored like other images, see docs/COMMUNITY.md).
alter table public.posts add column image_key text;
