//! The feed cache: each tenant's newest posts, with their likers and their rendered cards, kept
//! in the process, so the timeline's first page (the page members open most) needs neither a
//! database round trip nor a template render of its posts.
//!
//! * **Coherent across replicas.** An entry is used only while its version is the tenant's
//!   current `timeline` version, read with the session in the same Redis round trip
//!   ([`tsunagu_web::versions`]). Every write that changes what the head shows (a post, edit,
//!   deletion, hiding, like, comment, an author's name) replaces that version after its commit, so
//!   the next request on any replica loads afresh. Entries also expire after [`MAX_AGE`], and when
//!   a casual post among them expires, as a bound for a change nobody announced (a crash between
//!   a commit and its announcement, a manual fix in SQL).
//! * **Isolated.** Entries are keyed by tenant and filled inside that tenant's transaction (RLS
//!   applies to the load like to any query); a request only ever asks for its own tenant's entry.
//! * **The same for every viewer.** An entry holds what every member sees. What differs per
//!   viewer is chosen per request: whether they liked a post (from the post's likers), which
//!   actions they get (their own post, or moderation for the secretariat), and their CSRF token.
//!   Each post's card is rendered through the ordinary template once per language, like state and
//!   actions, on first use, with a placeholder where the token goes; a request joins the pieces
//!   with its own token.
//! * **Bounded.** At most [`MAX_TENANTS`] tenants per process; at most
//!   [`queries::LIKERS_CAP`] likers per post (a post with more has the viewer's like looked up per
//!   request).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tsunagu_kernel::MemberId;

use time::OffsetDateTime;
use tsunagu_kernel::TenantId;
use tsunagu_web::dates::Zone;
use tsunagu_web::{Locale, WebKit};

use super::queries::{self, HeadPost, Post};

/// The name of the timeline's content version (see [`tsunagu_web::versions`]).
pub const VERSION: &str = "timeline";

/// An entry is loaded again after this long even if no change was announced.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Tenants kept per process; past this the entry loaded longest ago makes room. An entry is
/// about 30 KB per language and kind of viewer it has served (21 cards and their likers), so
/// this keeps the cache within some tens of megabytes however many tenants a replica serves. (A
/// tenant made to leave that is still in use loads again on its next request.)
pub const MAX_TENANTS: usize = 256;

/// Which actions a viewer gets under a post card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actions {
    /// Like and comment only.
    Reader,
    /// Their own post: edit and delete.
    Author,
    /// Someone else's post, seen by the secretariat: hide.
    Moderator,
}

impl Actions {
    pub fn for_viewer(post: &Post, viewer: MemberId, can_moderate: bool) -> Self {
        if post.author_id == viewer {
            Actions::Author
        } else if can_moderate {
            Actions::Moderator
        } else {
            Actions::Reader
        }
    }

    fn index(self) -> usize {
        match self {
            Actions::Reader => 0,
            Actions::Author => 1,
            Actions::Moderator => 2,
        }
    }
}

/// One post card, rendered, split where the viewer's CSRF token goes.
#[derive(Debug)]
pub struct Card {
    pieces: Vec<Box<str>>,
}

impl Card {
    /// Renders `timeline/_post.html` for this post as one kind of viewer sees it. The token is
    /// a placeholder (`marker`), a random value of this process that no one is ever shown.
    pub fn render(
        web: &WebKit,
        marker: &str,
        lang: Locale,
        zone: Zone,
        post: &Post,
        liked: bool,
        actions: Actions,
    ) -> Result<Card, tera::Error> {
        let view = super::views::post_view(post, liked, actions == Actions::Author, lang, zone);
        let mut context = tera::Context::new();
        context.insert("lang", &lang);
        context.insert("post", &view);
        context.insert("can_moderate", &(actions == Actions::Moderator));
        context.insert("csrf_token", marker);
        let html = web.render("timeline/_post.html", &context)?;
        Ok(Card {
            pieces: html.split(marker).map(Box::from).collect(),
        })
    }

    /// Its length once written with a token of ours (64 characters).
    pub fn len_with_token(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum::<usize>()
            + 64 * self.pieces.len().saturating_sub(1)
    }

    /// Appends the card with `csrf_token` (ours: 64 hex characters, nothing to escape).
    pub fn write(&self, out: &mut String, csrf_token: &str) {
        let mut pieces = self.pieces.iter();
        if let Some(first) = pieces.next() {
            out.push_str(first);
        }
        for piece in pieces {
            out.push_str(csrf_token);
            out.push_str(piece);
        }
    }
}

/// A post's cards, rendered on first use: 2 languages × liked or not × 3 kinds of actions.
#[derive(Default)]
struct Cards([OnceLock<Arc<Card>>; 12]);

impl Cards {
    fn slot(&self, lang: Locale, liked: bool, actions: Actions) -> &OnceLock<Arc<Card>> {
        let lang = match lang {
            Locale::Ja => 0,
            Locale::En => 1,
        };
        &self.0[lang * 6 + usize::from(liked) * 3 + actions.index()]
    }
}

/// One post of a cached head.
pub struct CachedPost {
    pub post: Post,
    /// Sorted member ids; `None` when the post has more likers than the cache holds.
    likers: Option<Vec<tsunagu_kernel::MemberId>>,
    cards: Arc<Cards>,
}

impl CachedPost {
    /// Did `viewer` like this post? `None`: the cache does not know (too many likers).
    pub fn liked_by(&self, viewer: MemberId) -> Option<bool> {
        self.likers
            .as_ref()
            .map(|likers| likers.binary_search(&viewer).is_ok())
    }
}

/// The first page of a tenant's feed (and the look-ahead post), as loaded at one version.
pub struct FeedHead {
    /// The version it was loaded under; `None` for a head that is never cached.
    version: Option<String>,
    loaded: Instant,
    /// When the first of its casual posts expires (it must then leave the page).
    valid_until: Option<OffsetDateTime>,
    pub posts: Vec<CachedPost>,
}

impl FeedHead {
    /// A head from freshly read rows; cards of posts that did not change since `previous` are
    /// kept.
    pub fn new(rows: Vec<HeadPost>, version: Option<String>, previous: Option<&FeedHead>) -> Self {
        let valid_until = rows.iter().filter_map(|r| r.post.expires_at).min();
        let posts = rows
            .into_iter()
            .map(|row| {
                let complete = (row.likers.len() as i64) < queries::LIKERS_CAP;
                let cards = previous
                    .and_then(|p| p.posts.iter().find(|c| c.post == row.post))
                    .map(|c| c.cards.clone())
                    .unwrap_or_default();
                let mut likers = row.likers;
                likers.sort_unstable();
                CachedPost {
                    post: row.post,
                    likers: complete.then_some(likers),
                    cards,
                }
            })
            .collect();
        Self {
            version,
            loaded: Instant::now(),
            valid_until,
            posts,
        }
    }

    /// May this head answer a request made at `version`, now?
    fn is_current(&self, version: &str, now: OffsetDateTime) -> bool {
        self.version.as_deref() == Some(version)
            && self.loaded.elapsed() < MAX_AGE
            && self.valid_until.is_none_or(|at| now < at)
    }

    /// The card of post `index` for this kind of viewer, rendered if this is its first use.
    #[allow(clippy::too_many_arguments)] // each one picks or fills a slot of the card cache
    pub fn card(
        &self,
        web: &WebKit,
        marker: &str,
        index: usize,
        lang: Locale,
        zone: Zone,
        liked: bool,
        actions: Actions,
    ) -> Result<Arc<Card>, tera::Error> {
        let post = &self.posts[index];
        let slot = post.cards.slot(lang, liked, actions);
        if let Some(card) = slot.get() {
            return Ok(card.clone());
        }
        let card = Arc::new(Card::render(
            web, marker, lang, zone, &post.post, liked, actions,
        )?);
        Ok(slot.get_or_init(|| card).clone())
    }
}

struct Entry {
    head: Option<Arc<FeedHead>>,
    /// Held while this tenant's head is being loaded, so that a burst of requests after a change
    /// loads it once rather than once per request.
    loading: Arc<tokio::sync::Mutex<()>>,
}

/// The per-process cache (one per `AppState`, see `tsunagu_web::state::LocalCaches`).
pub struct FeedCache {
    /// Stands in for the viewer's CSRF token in rendered cards: random per process, never sent.
    marker: String,
    entries: RwLock<HashMap<TenantId, Entry>>,
}

impl Default for FeedCache {
    fn default() -> Self {
        Self {
            marker: tsunagu_kernel::tokens::random_token(),
            entries: RwLock::new(HashMap::new()),
        }
    }
}

/// What [`FeedCache::lookup`] found.
pub enum Lookup {
    /// A current head.
    Hit(Arc<FeedHead>),
    /// None is current: load one while holding `guard` (other requests for this tenant wait for
    /// it), then [`FeedCache::store`] it. `previous` is the stale head, whose unchanged cards the
    /// new one keeps.
    Miss {
        guard: tokio::sync::OwnedMutexGuard<()>,
        previous: Option<Arc<FeedHead>>,
    },
}

impl FeedCache {
    pub fn marker(&self) -> &str {
        &self.marker
    }

    fn current(&self, tenant: TenantId, version: &str) -> Option<Arc<FeedHead>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let head = entries.get(&tenant)?.head.as_ref()?;
        head.is_current(version, OffsetDateTime::now_utc())
            .then(|| head.clone())
    }

    /// The tenant's head if it is current at `version`; otherwise the right to load it.
    pub async fn lookup(&self, tenant: TenantId, version: &str) -> Lookup {
        if let Some(head) = self.current(tenant, version) {
            return Lookup::Hit(head);
        }
        let loading = {
            let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
            if !entries.contains_key(&tenant) {
                evict_oldest(&mut entries);
            }
            entries
                .entry(tenant)
                .or_insert_with(|| Entry {
                    head: None,
                    loading: Arc::new(tokio::sync::Mutex::new(())),
                })
                .loading
                .clone()
        };
        let guard = loading.lock_owned().await;
        // Whoever held the lock may just have loaded this very version.
        if let Some(head) = self.current(tenant, version) {
            return Lookup::Hit(head);
        }
        let previous = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&tenant)
            .and_then(|e| e.head.clone());
        Lookup::Miss { guard, previous }
    }

    /// Keeps `head` as the tenant's entry (the guard from [`Lookup::Miss`] is released after).
    pub fn store(
        &self,
        tenant: TenantId,
        head: Arc<FeedHead>,
        guard: tokio::sync::OwnedMutexGuard<()>,
    ) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        // The entry made by `lookup` cannot have been evicted meanwhile: its lock was held.
        if let Some(entry) = entries.get_mut(&tenant) {
            entry.head = Some(head);
        }
        drop(entries);
        drop(guard);
    }

    /// How many tenants have an entry (for tests).
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|e| e.head.is_some())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes room for one more entry: drops the entries loaded longest ago (or never), but none
/// that a request is loading right now.
fn evict_oldest(entries: &mut HashMap<TenantId, Entry>) {
    while entries.len() >= MAX_TENANTS {
        let oldest = entries
            .iter()
            .filter(|(_, entry)| Arc::strong_count(&entry.loading) == 1)
            .min_by_key(|(_, entry)| entry.head.as_ref().map(|h| h.loaded))
            .map(|(tenant, _)| *tenant);
        match oldest {
            Some(tenant) => {
                entries.remove(&tenant);
            }
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn post(n: u8, likes: i32) -> Post {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000 - i64::from(n)).unwrap();
        Post {
            id: queries::PostId(Uuid::from_u128(u128::from(n) + 1)),
            author_id: MemberId(Uuid::from_u128(1000)),
            author_name: "投稿 者".into(),
            body: format!("本文 {n} <b>太字</b>"),
            kind: crate::kinds::PostKind::Post,
            expires_at: None,
            like_count: likes,
            comment_count: 0,
            created_at: at,
            edited_at: None,
            image_key: None,
        }
    }

    fn row(post: Post, likers: Vec<MemberId>) -> HeadPost {
        HeadPost { post, likers }
    }

    fn web() -> WebKit {
        WebKit::new(&[crate::TEMPLATES]).expect("templates")
    }

    #[test]
    fn a_head_is_current_only_at_its_version_before_its_first_expiry_and_max_age() {
        let now = OffsetDateTime::now_utc();
        let mut casual = post(1, 0);
        casual.expires_at = Some(now + time::Duration::minutes(5));
        let head = FeedHead::new(
            vec![row(post(0, 0), vec![]), row(casual, vec![])],
            Some("v1".into()),
            None,
        );
        assert!(head.is_current("v1", now));
        assert!(!head.is_current("v2", now), "another version");
        assert!(
            !head.is_current("v1", now + time::Duration::minutes(6)),
            "a casual post in it has expired"
        );
        let mut old = FeedHead::new(vec![row(post(0, 0), vec![])], Some("v1".into()), None);
        if let Some(then) = Instant::now().checked_sub(MAX_AGE + Duration::from_secs(1)) {
            old.loaded = then;
            assert!(!old.is_current("v1", now), "older than the maximum age");
        }
        let uncached = FeedHead::new(vec![], None, None);
        assert!(
            !uncached.is_current("v1", now),
            "a head without a version is never reused"
        );
    }

    #[test]
    fn likes_come_from_the_likers_unless_there_were_too_many() {
        let viewer = MemberId(Uuid::from_u128(7));
        let others: Vec<MemberId> = (100..110).map(|n| MemberId(Uuid::from_u128(n))).collect();
        let mut with_viewer = others.clone();
        with_viewer.push(viewer);
        let crowd: Vec<MemberId> = (0..queries::LIKERS_CAP as u128)
            .map(|n| MemberId(Uuid::from_u128(n + 10_000)))
            .collect();
        let head = FeedHead::new(
            vec![
                row(post(0, 11), with_viewer),
                row(post(1, 10), others),
                row(post(2, queries::LIKERS_CAP as i32 + 5), crowd),
            ],
            Some("v".into()),
            None,
        );
        assert_eq!(head.posts[0].liked_by(viewer), Some(true));
        assert_eq!(head.posts[1].liked_by(viewer), Some(false));
        assert_eq!(
            head.posts[2].liked_by(viewer),
            None,
            "unknown: ask the database"
        );
    }

    #[test]
    fn cards_are_split_at_the_token_and_kept_while_their_post_is_unchanged() {
        let web = web();
        let marker = tsunagu_kernel::tokens::random_token();
        let token = tsunagu_kernel::tokens::random_token();
        let head = FeedHead::new(
            vec![row(post(0, 1), vec![]), row(post(1, 0), vec![])],
            Some("v1".into()),
            None,
        );
        let card = head
            .card(
                &web,
                &marker,
                0,
                Locale::Ja,
                Zone::JAPAN,
                true,
                Actions::Author,
            )
            .unwrap();
        let mut html = String::new();
        card.write(&mut html, &token);
        assert!(!html.contains(&marker));
        // The like form, the delete form: each with the viewer's token.
        assert_eq!(html.matches(&token).count(), 2, "{html}");
        assert!(html.contains("aria-pressed=\"true\"") && html.contains("/delete"));
        assert!(
            html.contains("&lt;b&gt;太字&lt;&#x2F;b&gt;"),
            "post text is escaped"
        );
        let again = head
            .card(
                &web,
                &marker,
                0,
                Locale::Ja,
                Zone::JAPAN,
                true,
                Actions::Author,
            )
            .unwrap();
        assert!(Arc::ptr_eq(&card, &again), "rendered once");

        // Reloaded after another post changed: this post's cards stay, the changed one's go.
        let reloaded = FeedHead::new(
            vec![row(post(0, 1), vec![]), row(post(1, 1), vec![])],
            Some("v2".into()),
            Some(&head),
        );
        let kept = reloaded
            .card(
                &web,
                &marker,
                0,
                Locale::Ja,
                Zone::JAPAN,
                true,
                Actions::Author,
            )
            .unwrap();
        assert!(Arc::ptr_eq(&card, &kept));
        let first = head
            .card(
                &web,
                &marker,
                1,
                Locale::Ja,
                Zone::JAPAN,
                false,
                Actions::Reader,
            )
            .unwrap();
        let changed = reloaded
            .card(
                &web,
                &marker,
                1,
                Locale::Ja,
                Zone::JAPAN,
                false,
                Actions::Reader,
            )
            .unwrap();
        assert!(!Arc::ptr_eq(&first, &changed), "its like count changed");
        let mut text = String::new();
        changed.write(&mut text, &token);
        assert!(text.contains("<span class=\"reaction-count\">1</span>"));
        assert!(!text.contains("/delete") && !text.contains("/hide"));
    }

    #[tokio::test]
    async fn one_request_loads_while_the_others_wait_for_it() {
        let cache = Arc::new(FeedCache::default());
        let tenant = TenantId::new();
        let Lookup::Miss { guard, previous } = cache.lookup(tenant, "v1").await else {
            panic!("an empty cache misses");
        };
        assert!(previous.is_none());
        let waiting = tokio::spawn({
            let cache = cache.clone();
            async move { matches!(cache.lookup(tenant, "v1").await, Lookup::Hit(_)) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "the second request waits for the load"
        );
        let head = Arc::new(FeedHead::new(vec![], Some("v1".into()), None));
        cache.store(tenant, head, guard);
        assert!(waiting.await.unwrap(), "and then uses what was loaded");
        match cache.lookup(tenant, "v2").await {
            Lookup::Miss { previous, .. } => assert!(previous.is_some(), "a new version misses"),
            Lookup::Hit(_) => panic!("a head of another version was used"),
        }
    }

    #[tokio::test]
    async fn the_cache_holds_a_bounded_number_of_tenants() {
        let cache = FeedCache::default();
        for _ in 0..MAX_TENANTS + 25 {
            let tenant = TenantId::new();
            if let Lookup::Miss { guard, .. } = cache.lookup(tenant, "v").await {
                cache.store(
                    tenant,
                    Arc::new(FeedHead::new(vec![], Some("v".into()), None)),
                    guard,
                );
            }
        }
        assert!(cache.len() <= MAX_TENANTS, "{} entries", cache.len());
    }
}
