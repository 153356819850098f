//! Authorisation: may this member do this here?
//!
//! casbin holds the role → permission matrix (`model.conf`, `policy.csv`, embedded and versioned),
//! with domains = tenants: rules for every tenant use the domain `*`, and the switches a tenant
//! turns on in its tenant-config (`switches.csv`) become rules in that tenant's domain. Handlers
//! call [`Authz::require`] explicitly at the top; there is no implicit route-level magic.

use std::collections::HashMap;

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, StringAdapter};
use tokio::sync::RwLock;
use tsunagu_kernel::TenantId;
use tsunagu_tenancy::{Features, Tenant};

const MODEL: &str = include_str!("../model.conf");
const POLICY: &str = include_str!("../policy.csv");
const SWITCHES: &str = include_str!("../switches.csv");

/// Everything a handler may check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    ViewNetwork,
    ManageOwnAccount,
    OpenRecruitment,
    ManageApprovals,
    ManageInvitations,
    ManageMembers,
    ViewAudit,
    ViewDirectory,
    Post,
    ModerateTimeline,
    ReactToRecruitment,
    /// See who reacted and gather them, on any recruitment (authors may on their own).
    ManageRecruitments,
    /// Write, schedule and publish articles.
    ManageArticles,
    /// Build, publish and close surveys, and read their results.
    ManageSurveys,
    /// Answer the surveys whose audience includes the member.
    AnswerSurveys,
    /// Write and read private messages (where the network has messages switched on).
    UseMessages,
    /// See events and answer them (where the network has events switched on).
    ViewEvents,
    /// Create events: the secretariat, and members where the network allows it.
    CreateEvents,
    /// Edit, cancel, approve and check in any event of the network (organisers may on theirs).
    ManageEvents,
    /// Change the network's settings: branding, sign-up, switches, email defaults.
    ManageSettings,
    /// Publish articles and surveys: the secretariat, never platform staff, whose drafts wait
    /// for the secretariat's approval.
    PublishContent,
    /// The support page of platform staff within a grant (`/support`).
    VisitAsSupport,
    /// The playbook library (`/secretariat/playbooks`): the secretariat, and staff within a
    /// grant; making a draft also needs the permission of what it makes.
    UsePlaybooks,
    /// The plan and its payment (`/secretariat/billing`, Stripe Checkout and the Customer
    /// Portal): the secretariat only, never platform staff within a grant.
    ManageBilling,
}

impl Permission {
    fn object_action(self) -> (&'static str, &'static str) {
        match self {
            Permission::ViewNetwork => ("network", "view"),
            Permission::ManageOwnAccount => ("own_account", "manage"),
            Permission::OpenRecruitment => ("recruitments", "open"),
            Permission::ManageApprovals => ("approvals", "manage"),
            Permission::ManageInvitations => ("invitations", "manage"),
            Permission::ManageMembers => ("members", "manage"),
            Permission::ViewAudit => ("audit", "view"),
            Permission::ViewDirectory => ("directory", "view"),
            Permission::Post => ("timeline", "post"),
            Permission::ModerateTimeline => ("timeline", "moderate"),
            Permission::ReactToRecruitment => ("recruitments", "react"),
            Permission::ManageRecruitments => ("recruitments", "manage"),
            Permission::ManageArticles => ("articles", "manage"),
            Permission::ManageSurveys => ("surveys", "manage"),
            Permission::AnswerSurveys => ("surveys", "answer"),
            Permission::UseMessages => ("messages", "use"),
            Permission::ViewEvents => ("events", "view"),
            Permission::CreateEvents => ("events", "create"),
            Permission::ManageEvents => ("events", "manage"),
            Permission::ManageSettings => ("settings", "manage"),
            Permission::PublishContent => ("content", "publish"),
            Permission::VisitAsSupport => ("support", "visit"),
            Permission::UsePlaybooks => ("playbooks", "use"),
            Permission::ManageBilling => ("billing", "manage"),
        }
    }
}

/// The member lacks the permission; handlers turn this into 403 (or 404 where existence is secret).
#[derive(Debug, thiserror::Error)]
#[error("permission denied")]
pub struct Denied;

struct Switch {
    feature: String,
    subject: String,
    object: String,
    action: String,
}

fn parse_switches() -> Vec<Switch> {
    SWITCHES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            match parts.as_slice() {
                [feature, subject, object, action] => Some(Switch {
                    feature: (*feature).into(),
                    subject: (*subject).into(),
                    object: (*object).into(),
                    action: (*action).into(),
                }),
                _ => None,
            }
        })
        .collect()
}

fn feature_enabled(features: &Features, name: &str) -> bool {
    match name {
        "alumni_may_open_recruitments" => features.alumni_may_open_recruitments,
        "casual_posts" => features.casual_posts,
        "events" => features.events,
        "surveys" => features.surveys,
        "messages" => features.messages,
        "member_events" => features.events && features.members_may_create_events,
        _ => false,
    }
}

pub struct Authz {
    enforcer: RwLock<Enforcer>,
    switches: Vec<Switch>,
    /// The features each tenant's domain rules were last built from.
    synced: RwLock<HashMap<TenantId, Features>>,
    /// Decisions already taken. A decision depends only on the embedded matrix, the tenant's
    /// features (part of the key) and the subject, so it never goes stale; casbin evaluates its
    /// matcher script against every rule, which cost more per page than the page's SQL.
    decisions: std::sync::RwLock<HashMap<DecisionKey, bool>>,
}

#[derive(PartialEq, Eq, Hash)]
struct DecisionKey {
    tenant: TenantId,
    features: Features,
    subject: String,
    permission: Permission,
}

/// Past this many remembered decisions the memo starts again (a bound, not an expected size:
/// a tenant has a handful of subjects and permissions).
const MAX_DECISIONS: usize = 100_000;

impl Authz {
    pub async fn new() -> Result<Self, casbin::Error> {
        let model = DefaultModel::from_str(MODEL).await?;
        let adapter = StringAdapter::new(POLICY);
        let mut enforcer = Enforcer::new(model, adapter).await?;
        // The matrix is code, not data: runtime rules (tenant switches) are never written back.
        enforcer.enable_auto_save(false);
        let switches = parse_switches();
        Ok(Self {
            enforcer: RwLock::new(enforcer),
            switches,
            synced: RwLock::new(HashMap::new()),
            decisions: std::sync::RwLock::new(HashMap::new()),
        })
    }

    /// Rebuilds the tenant's domain rules when its features changed since the last look.
    async fn sync_tenant(&self, tenant: &Tenant) {
        if self.synced.read().await.get(&tenant.id) == Some(&tenant.features) {
            return;
        }
        let domain = tenant.id.to_string();
        let mut enforcer = self.enforcer.write().await;
        let _ = enforcer
            .remove_filtered_policy(1, vec![domain.clone()])
            .await;
        let rules: Vec<Vec<String>> = self
            .switches
            .iter()
            .filter(|s| feature_enabled(&tenant.features, &s.feature))
            .map(|s| {
                vec![
                    s.subject.clone(),
                    domain.clone(),
                    s.object.clone(),
                    s.action.clone(),
                ]
            })
            .collect();
        if !rules.is_empty() {
            if let Err(error) = enforcer.add_policies(rules).await {
                tracing::error!(%error, "could not add tenant permission switches");
            }
        }
        self.synced
            .write()
            .await
            .insert(tenant.id, tenant.features.clone());
    }

    /// Does any of `subjects` (a member's kind and role) have `permission` in `tenant`?
    pub async fn can(&self, tenant: &Tenant, subjects: &[&str], permission: Permission) -> bool {
        for subject in subjects {
            if self.can_subject(tenant, subject, permission).await {
                return true;
            }
        }
        false
    }

    async fn can_subject(&self, tenant: &Tenant, subject: &str, permission: Permission) -> bool {
        let key = DecisionKey {
            tenant: tenant.id,
            features: tenant.features.clone(),
            subject: subject.to_owned(),
            permission,
        };
        if let Some(decision) = self
            .decisions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return *decision;
        }
        self.sync_tenant(tenant).await;
        let (object, action) = permission.object_action();
        let domain = tenant.id.to_string();
        let enforcer = self.enforcer.read().await;
        let decision = enforcer
            .enforce((subject, domain.as_str(), object, action))
            .unwrap_or(false);
        // The domain rules may have been rebuilt for other features since the sync above; only
        // a decision taken against the features in the key is remembered.
        let current = self.synced.read().await.get(&tenant.id) == Some(&tenant.features);
        drop(enforcer);
        if current {
            let mut decisions = self.decisions.write().unwrap_or_else(|p| p.into_inner());
            if decisions.len() >= MAX_DECISIONS {
                decisions.clear();
            }
            decisions.insert(key, decision);
        }
        decision
    }

    pub async fn require(
        &self,
        tenant: &Tenant,
        subjects: &[&str],
        permission: Permission,
    ) -> Result<(), Denied> {
        if self.can(tenant, subjects, permission).await {
            Ok(())
        } else {
            Err(Denied)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsunagu_tenancy::{Branding, Signup, TenantStatus};

    fn tenant(alumni_may_open_recruitments: bool) -> Tenant {
        Tenant {
            id: TenantId::new(),
            slug: "t".into(),
            name: "T".into(),
            status: TenantStatus::Active,
            default_locale: "ja".into(),
            time_zone: "Asia/Tokyo".into(),
            plan: "free".into(),
            branding: Branding::default(),
            features: Features {
                alumni_may_open_recruitments,
                ..Features::default()
            },
            signup: Signup::default(),
            profile_fields: Vec::new(),
            email_defaults: Default::default(),
            level3: Default::default(),
            payment_failed_at: None,
        }
    }

    #[tokio::test]
    async fn the_permission_matrix() {
        use Permission::*;
        let authz = Authz::new().await.unwrap();
        let t = tenant(false);
        let alumni = ["alumni", "member"];
        let employee = ["employee", "member"];
        let secretariat = ["alumni", "secretariat"];
        for (subjects, permission, expected) in [
            (&alumni, ViewNetwork, true),
            (&alumni, ManageOwnAccount, true),
            (&alumni, OpenRecruitment, false),
            (&alumni, ManageApprovals, false),
            (&alumni, ManageMembers, false),
            (&employee, OpenRecruitment, true),
            (&employee, ManageInvitations, false),
            (&employee, ViewAudit, false),
            (&secretariat, ManageApprovals, true),
            (&secretariat, ManageInvitations, true),
            (&secretariat, ManageMembers, true),
            (&secretariat, ViewAudit, true),
            (&secretariat, OpenRecruitment, true),
            (&alumni, ViewDirectory, true),
            (&alumni, Post, true),
            (&alumni, ReactToRecruitment, true),
            (&alumni, ModerateTimeline, false),
            (&employee, ManageRecruitments, false),
            (&secretariat, ModerateTimeline, true),
            (&secretariat, ManageRecruitments, true),
            (&secretariat, ManageArticles, true),
            (&employee, ManageArticles, false),
            (&alumni, ManageArticles, false),
            (&alumni, AnswerSurveys, true),
            (&employee, AnswerSurveys, true),
            (&secretariat, AnswerSurveys, true),
            (&secretariat, ManageSurveys, true),
            (&employee, ManageSurveys, false),
            (&alumni, ManageSurveys, false),
            (&alumni, UseMessages, true),
            (&employee, UseMessages, true),
            (&secretariat, UseMessages, true),
            (&alumni, ViewEvents, true),
            (&alumni, CreateEvents, true),
            (&employee, CreateEvents, true),
            (&secretariat, CreateEvents, true),
            (&alumni, ManageEvents, false),
            (&employee, ManageEvents, false),
            (&secretariat, ManageEvents, true),
            (&secretariat, ManageSettings, true),
            (&secretariat, ManageBilling, true),
            (&employee, ManageBilling, false),
            (&alumni, ManageBilling, false),
            (&employee, ManageSettings, false),
            (&alumni, ManageSettings, false),
            (&secretariat, PublishContent, true),
            (&employee, PublishContent, false),
            (&secretariat, VisitAsSupport, false),
            (&secretariat, UsePlaybooks, true),
            (&alumni, UsePlaybooks, false),
            (&employee, UsePlaybooks, false),
        ] {
            assert_eq!(
                authz.can(&t, subjects, permission).await,
                expected,
                "{subjects:?} {permission:?}"
            );
        }
        assert!(!authz.can(&t, &["stranger"], ViewNetwork).await);
        // Platform staff within a support grant: each scope reaches its own part and the support
        // page, never messages, settings, the audit log, members' management or publishing.
        let every_scope = [
            "support:content",
            "support:recruitments",
            "support:surveys",
            "support:events",
            "support:members_read",
        ];
        for (subject, permission, expected) in [
            ("support:content", ManageArticles, true),
            ("support:content", ViewNetwork, true),
            ("support:content", ViewDirectory, false),
            ("support:content", ManageSurveys, false),
            ("support:surveys", ManageSurveys, true),
            ("support:surveys", ViewNetwork, false),
            ("support:recruitments", OpenRecruitment, true),
            ("support:events", CreateEvents, true),
            ("support:events", ManageEvents, false),
            ("support:members_read", ViewDirectory, true),
            ("support:members_read", ManageMembers, false),
        ] {
            assert_eq!(
                authz.can(&t, &[subject], permission).await,
                expected,
                "{subject} {permission:?}"
            );
        }
        for permission in [
            UseMessages,
            ManageSettings,
            ManageBilling,
            ViewAudit,
            ManageMembers,
            ManageApprovals,
            ManageInvitations,
            PublishContent,
            ModerateTimeline,
            ManageOwnAccount,
            AnswerSurveys,
            Post,
            ReactToRecruitment,
        ] {
            assert!(
                !authz.can(&t, &every_scope, permission).await,
                "support {permission:?}"
            );
        }
        for subject in every_scope {
            assert!(authz.can(&t, &[subject], VisitAsSupport).await);
            assert!(authz.can(&t, &[subject], UsePlaybooks).await);
        }
        // A network with messages switched off has none.
        let mut quiet = tenant(false);
        quiet.features.messages = false;
        assert!(!authz.can(&quiet, &alumni, UseMessages).await);
        // Members create events only where the network lets them; the secretariat always, while
        // events are on at all.
        let mut secretariat_only = tenant(false);
        secretariat_only.features.members_may_create_events = false;
        assert!(!authz.can(&secretariat_only, &employee, CreateEvents).await);
        assert!(
            authz
                .can(&secretariat_only, &secretariat, CreateEvents)
                .await
        );
        let mut no_events = tenant(false);
        no_events.features.events = false;
        for permission in [ViewEvents, CreateEvents, ManageEvents] {
            assert!(!authz.can(&no_events, &secretariat, permission).await);
            assert!(!authz.can(&no_events, &alumni, permission).await);
        }
    }

    #[tokio::test]
    async fn tenant_switches_apply_to_that_tenant_only() {
        let authz = Authz::new().await.unwrap();
        let open = tenant(true);
        let closed = tenant(false);
        assert!(
            authz
                .can(&open, &["alumni"], Permission::OpenRecruitment)
                .await
        );
        assert!(
            !authz
                .can(&closed, &["alumni"], Permission::OpenRecruitment)
                .await
        );
        // Switching it off again takes effect.
        let mut reopened = open.clone();
        reopened.features.alumni_may_open_recruitments = false;
        assert!(
            !authz
                .can(&reopened, &["alumni"], Permission::OpenRecruitment)
                .await
        );
    }
}
