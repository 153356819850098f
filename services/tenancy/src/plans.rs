//! Plans and what they entitle a network to (`services/tenancy/plans.toml`, embedded and checked
//! by a unit test). Every feature a plan limits asks [`Entitlements`] — the member cap, surveys and
//! their export, events, a custom domain, CS support hours — never the plan's name.

use std::collections::BTreeMap;

use serde::Deserialize;

const PLANS_FILE: &str = include_str!("../plans.toml");

/// A name in both languages.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlanName {
    pub ja: String,
    pub en: String,
}

/// One plan as the file declares it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(skip)]
    pub key: String,
    pub name: PlanName,
    /// Active members at most (none: no cap).
    pub member_cap: Option<u32>,
    pub surveys: bool,
    pub surveys_export: bool,
    pub events: bool,
    pub custom_domain: bool,
    pub cs_support_hours: u32,
    /// The environment variable with the plan's Stripe price id (paid plans).
    pub stripe_price_env: Option<String>,
    /// The list price per month in yen, shown on the sign-up and billing pages (Stripe's price
    /// is what is charged).
    pub monthly_yen: Option<u32>,
    /// Offered on the sign-up and billing pages (default true).
    #[serde(default = "yes")]
    pub self_serve: bool,
}

fn yes() -> bool {
    true
}

impl Plan {
    /// Is this plan paid for through Stripe (it names a price)?
    pub fn is_paid(&self) -> bool {
        self.stripe_price_env.is_some()
    }

    /// May a company choose it itself, at sign-up or on the billing page? (Enterprise is
    /// arranged with sales: `self_serve = false`.)
    pub fn is_self_serve(&self) -> bool {
        self.self_serve
    }
}

/// What a plan may limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entitlement {
    Surveys,
    SurveysExport,
    Events,
    CustomDomain,
}

/// The plans, in the file's order (a bad file fails the unit test, not a visitor).
pub fn plans() -> &'static [Plan] {
    static PLANS: std::sync::OnceLock<Vec<Plan>> = std::sync::OnceLock::new();
    PLANS.get_or_init(|| load(PLANS_FILE).expect("services/tenancy/plans.toml is valid"))
}

fn load(text: &str) -> Result<Vec<Plan>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut plans = Vec::new();
    for (key, value) in table {
        let mut plan: Plan = value.try_into().map_err(|e| format!("plan {key}: {e}"))?;
        plan.key = key;
        plans.push(plan);
    }
    // toml tables keep their keys sorted; the cheapest plan first reads naturally.
    plans.sort_by_key(|p| p.member_cap.map_or(u64::MAX, u64::from));
    if plans.is_empty() {
        return Err("no plans".into());
    }
    Ok(plans)
}

/// The plan with this key, if there is one.
pub fn find(key: &str) -> Option<&'static Plan> {
    plans().iter().find(|p| p.key == key)
}

/// The keys of every plan (for validating tenant-config files and forms).
pub fn keys() -> Vec<&'static str> {
    plans().iter().map(|p| p.key.as_str()).collect()
}

/// How long after a failed payment a paid plan's features keep working (docs/BILLING.md):
/// Stripe retries the card meanwhile and the secretariat can update it in the portal.
pub const PAYMENT_GRACE: time::Duration = time::Duration::days(14);

/// Where a network stands with paying for its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PaymentStanding {
    InGoodStanding,
    /// A payment failed; the paid features work until `grace_until`.
    Failed {
        #[serde(with = "time::serde::rfc3339")]
        grace_until: time::OffsetDateTime,
    },
    /// The grace period has passed: the paid features are paused until a payment succeeds.
    Paused,
}

/// What a network's plan entitles it to.
#[derive(Debug, Clone, Copy)]
pub struct Entitlements {
    plan: &'static Plan,
    /// The plan's paid features are paused (a failed payment past its grace period): these are
    /// the most limited plan's entitlements.
    paused: bool,
}

impl Entitlements {
    /// The entitlements of plan `key`; an unknown key gets the most limited plan.
    pub fn of(key: &str) -> Self {
        let plan = find(key).unwrap_or_else(|| &plans()[0]);
        Self {
            plan,
            paused: false,
        }
    }

    /// The most limited plan's entitlements, standing in for a paid plan whose payment failed
    /// past the grace period. Nothing is deleted: members beyond its cap stay, new sign-ups
    /// wait, and everything returns when a payment succeeds.
    fn paused() -> Self {
        Self {
            plan: &plans()[0],
            paused: true,
        }
    }

    /// Are a paid plan's features paused for a failed payment?
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn plan(&self) -> &'static Plan {
        self.plan
    }

    /// Active members at most (none: no cap).
    pub fn member_cap(&self) -> Option<u32> {
        self.plan.member_cap
    }

    /// Is there room for one more active member, with `active` now?
    pub fn has_room_for_member(&self, active: i64) -> bool {
        self.plan
            .member_cap
            .is_none_or(|cap| active < i64::from(cap))
    }

    /// How many more active members fit, with `active` now (none: no cap).
    pub fn room(&self, active: i64) -> Option<i64> {
        self.plan
            .member_cap
            .map(|cap| (i64::from(cap) - active).max(0))
    }

    pub fn allows(&self, entitlement: Entitlement) -> bool {
        match entitlement {
            Entitlement::Surveys => self.plan.surveys,
            Entitlement::SurveysExport => self.plan.surveys_export,
            Entitlement::Events => self.plan.events,
            Entitlement::CustomDomain => self.plan.custom_domain,
        }
    }

    pub fn cs_support_hours(&self) -> u32 {
        self.plan.cs_support_hours
    }
}

impl crate::Tenant {
    /// What this network's plan entitles it to now.
    pub fn entitlements(&self) -> Entitlements {
        self.entitlements_at(time::OffsetDateTime::now_utc())
    }

    /// What this network's plan entitles it to at `now`: its plan's, or the most limited
    /// plan's while a failed payment is past its grace period.
    pub fn entitlements_at(&self, now: time::OffsetDateTime) -> Entitlements {
        match self.payment_standing_at(now) {
            PaymentStanding::Paused => Entitlements::paused(),
            _ => Entitlements::of(&self.plan),
        }
    }

    /// Where the network stands with paying for its plan at `now`.
    pub fn payment_standing_at(&self, now: time::OffsetDateTime) -> PaymentStanding {
        let paid = find(&self.plan).is_some_and(Plan::is_paid);
        match self.payment_failed_at {
            Some(failed_at) if paid => {
                let grace_until = failed_at + PAYMENT_GRACE;
                if now >= grace_until {
                    PaymentStanding::Paused
                } else {
                    PaymentStanding::Failed { grace_until }
                }
            }
            _ => PaymentStanding::InGoodStanding,
        }
    }
}

/// The plans by key (for templates).
pub fn by_key() -> BTreeMap<&'static str, &'static Plan> {
    plans().iter().map(|p| (p.key.as_str(), p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plans_file_loads_and_orders_plans_by_size() {
        let keys = keys();
        assert_eq!(keys, ["free", "standard", "enterprise"]);
        let free = Entitlements::of("free");
        assert_eq!(free.member_cap(), Some(50));
        assert!(free.has_room_for_member(49));
        assert!(!free.has_room_for_member(50));
        assert_eq!(free.room(52), Some(0));
        assert!(!free.allows(Entitlement::SurveysExport));
        assert!(Entitlements::of("standard").allows(Entitlement::SurveysExport));
        assert!(Entitlements::of("enterprise").allows(Entitlement::CustomDomain));
        assert!(Entitlements::of("enterprise").has_room_for_member(1_000_000));
        // Unknown: the most limited plan.
        assert_eq!(Entitlements::of("gold").plan().key, "free");
        assert!(find("standard")
            .unwrap()
            .stripe_price_env
            .as_deref()
            .is_some_and(|v| v.starts_with("STRIPE_PRICE_")));
    }

    fn network(plan: &str, failed_at: Option<time::OffsetDateTime>) -> crate::Tenant {
        crate::Tenant {
            id: tsunagu_kernel::TenantId::new(),
            slug: "t".into(),
            name: "T".into(),
            status: crate::TenantStatus::Active,
            default_locale: "ja".into(),
            time_zone: "Asia/Tokyo".into(),
            plan: plan.into(),
            branding: Default::default(),
            features: Default::default(),
            signup: Default::default(),
            profile_fields: Vec::new(),
            email_defaults: Default::default(),
            level3: Default::default(),
            payment_failed_at: failed_at,
        }
    }

    #[test]
    fn a_failed_payment_keeps_the_paid_features_through_the_grace_period_then_pauses_them() {
        let failed = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let standard = network("standard", Some(failed));
        let during = failed + time::Duration::days(13);
        assert_eq!(
            standard.payment_standing_at(during),
            PaymentStanding::Failed {
                grace_until: failed + PAYMENT_GRACE
            }
        );
        let entitled = standard.entitlements_at(during);
        assert!(!entitled.is_paused());
        assert!(entitled.allows(Entitlement::SurveysExport));
        assert_eq!(entitled.member_cap(), Some(5000));

        let after = failed + PAYMENT_GRACE;
        assert_eq!(standard.payment_standing_at(after), PaymentStanding::Paused);
        let paused = standard.entitlements_at(after);
        assert!(paused.is_paused());
        assert!(!paused.allows(Entitlement::SurveysExport));
        assert_eq!(paused.member_cap(), Some(50));
        // The plan itself is kept: a paid invoice brings everything back.
        assert_eq!(standard.plan, "standard");
        assert!(!network("standard", None).entitlements_at(after).is_paused());
        // A failure on Free (e.g. the last invoice of a cancelled plan) pauses nothing.
        assert_eq!(
            network("free", Some(failed)).payment_standing_at(after),
            PaymentStanding::InGoodStanding
        );
    }

    #[test]
    fn every_paid_plan_names_a_price_variable_the_configuration_reads() {
        for plan in plans() {
            if let Some(variable) = &plan.stripe_price_env {
                assert!(
                    tsunagu_kernel::config::STRIPE_PRICE_VARIABLES.contains(&variable.as_str()),
                    "{variable} is not in kernel::config::STRIPE_PRICE_VARIABLES"
                );
            }
        }
    }

    #[test]
    fn a_plan_with_an_unknown_field_is_refused() {
        assert!(load("[free]\nname = { ja = \"a\", en = \"b\" }\nsurveys = true\nsurveys_export = true\nevents = true\ncustom_domain = false\ncs_support_hours = 0\nseats = 3\n").is_err());
    }
}
