-- An index behind every foreign key (a catalog test keeps it so).
--
-- Without one, removing a member (on delete cascade) scans every like, comment and post of the
-- tenant to find theirs, and "what did this member like" can only be answered by reading the
-- tenant's whole likes index: `just bench` caught the timeline doing exactly that (0.5 s per page
-- for the large tenant with 3 million likes).

create index post_likes_member_idx on public.post_likes (tenant_id, member_id, post_id);
create index posts_author_idx on public.posts (tenant_id, author_id, created_at desc);
create index post_comments_author_idx on public.post_comments (tenant_id, author_id);
create index recruitments_author_idx on public.recruitments (tenant_id, author_id, created_at desc);
create index recruitment_followups_member_idx on public.recruitment_followups (tenant_id, member_id);
create index articles_author_idx on public.articles (tenant_id, author_id);
create index article_featured_members_member_idx on public.article_featured_members (tenant_id, member_id);
create index article_comments_author_idx on public.article_comments (tenant_id, author_id);
create index article_likes_member_idx on public.article_likes (tenant_id, member_id, article_id);
create index invitations_inviter_idx on public.invitations (tenant_id, invited_by);
