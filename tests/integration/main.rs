//! One integration-test binary for the whole platform (one link step instead of many). Every
//! test gets its own database from `tsunagu_testkit` and connects as `tsunagu_app`.

mod browser;
mod cache_invalidation;
mod catalog;
mod community;
mod console;
mod content;
mod csrf;
mod digest;
mod email_consent;
mod events;
mod fail_closed;
mod feed_cache;
mod hardening;
mod host_resolution;
mod i18n;
mod identity;
mod import;
mod insights;
mod layout;
mod mail;
mod messages;
mod moderation;
mod onboarding;
mod pages;
mod plans;
mod playbooks;
mod pool_reuse;
mod routes;
mod scale;
mod secretariat;
mod settings;
mod support;
mod support_sessions;
mod surveys;
mod tenant_config;
