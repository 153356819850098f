//! Paying for a plan with Stripe (issue #19, docs/BILLING.md): the secretariat's billing page,
//! Checkout for a paid plan, the Customer Portal, and the webhook that applies what Stripe says.

pub mod events;
pub mod pages;
pub mod signature;
pub mod stripe_api;
pub mod webhook;
