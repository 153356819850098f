-- A message may carry one image (stored under the tenant's media directory, docs/MESSAGES.md);
-- then its text may be empty. A deleted message keeps neither text nor image.
alter table public.messages add column image_key text;
alter table public.messages drop constraint messages_body_length;
alter table public.messages add constraint messages_body_length check (
  (deleted_at is null and char_length(body) <= 5000
     and (char_length(body) >= 1 or image_key is not null))
  or (deleted_at is not null and body = '' and image_key is null));
