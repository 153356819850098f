//! What members do in their network, without the secretariat: find each other in the directory,
//! keep a profile, post on the timeline, and answer 募集 recruitments. One module per feature,
//! each with its router, handlers and `queries.rs` (SQL taking `&mut TenantTx`).

pub mod activity;
pub mod articles;
pub mod directory;
pub mod followups;
pub mod jobs;
pub mod kinds;
pub use tsunagu_web::media;
pub mod notifications;
pub mod recruitments;
pub mod timeline;
pub mod view;

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "directory/index.html",
    "directory/profile.html",
    "directory/edit_profile.html",
    "timeline/index.html",
    "timeline/post.html",
    "timeline/edit_post.html",
    "timeline/_like.html",
    "timeline/_post.html",
    "timeline/_comments.html",
    "recruitments/index.html",
    "recruitments/new.html",
    "recruitments/show.html",
    "recruitments/_reactions.html",
    "recruitments/_card.html",
    "recruitments/saved.html",
    "articles/index.html",
    "articles/form.html",
    "articles/show.html",
    "articles/_like.html",
    "notifications/index.html",
];

pub fn routes() -> tsunagu_web::routes::Routes {
    directory::routes()
        .merge(timeline::routes())
        .merge(recruitments::routes())
        .merge(articles::routes())
        .merge(notifications::routes())
}
