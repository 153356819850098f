//! One integration-test binary for the whole platform (one link step instead of many). Every
//! test gets its own database from `tsunagu_testkit` and connects as `tsunagu_app`.

mod browser;
mod cache_invalidation;
mod catalog;
mod fail_closed;
mod host_resolution;
mod pages;
mod pool_reuse;
mod tenant_config;
