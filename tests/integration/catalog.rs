//! Catalog invariants: the tenancy contract, checked against PostgreSQL's own catalog so that it
//! holds for every table any future migration adds. Runs as `tsunagu_app` (the catalog is
//! readable by every role).

use sqlx::PgConnection;
use tsunagu_testkit::TestDb;

/// Platform tables that have a `tenant_id` column but hold no tenant data: they are read before
/// any tenant is known (host → tenant). Adding to this list needs a reason in review.
/// `work_signals` only says "tenant X has work due at T" so the worker need not visit every tenant.
/// `tenant_notes` are the console staff's notes about a network, never shown to it.
const PLATFORM_TABLES_WITH_TENANT_ID: &[&str] = &[
    "platform.billing_accounts",
    "platform.custom_domains",
    "platform.stripe_events",
    "platform.tenant_notes",
    "platform.work_signals",
];

/// Functions allowed to run with their owner's rights. Each needs a reason in review:
/// `platform.tenant_health()` gives the console figures across tenants; its owner,
/// `tsunagu_aggregates`, may read only the columns of [`AGGREGATE_COLUMNS`].
/// `platform.playbook_outcomes(integer)` gives per-template medians across networks, only for
/// templates used in at least 5 networks; same owner, same columns.
/// `platform.enable_staff_totp(uuid,text)` lets the console turn a staff member's second factor
/// on once (never replace it); its owner, `tsunagu_platform`, writes staff accounts.
/// `platform.tenant_support_history(uuid)` gives the console's timeline the dates, scopes and
/// states of one network's support grants and requests; same owner, same columns.
/// `platform.save_tenant_settings(text,jsonb)` lets the settings page save one editable section of
/// the transaction's own tenant; its owner, `tsunagu_platform`, writes the platform's tables.
const SECURITY_DEFINER_ALLOW_LIST: &[&str] = &[
    "platform.create_self_serve_tenant(text,text,text,text,text)",
    "platform.enable_staff_totp(uuid,text)",
    "platform.open_self_serve_tenant()",
    "platform.playbook_outcomes(integer)",
    "platform.save_tenant_settings(text,jsonb)",
    "platform.tenant_health()",
    "platform.tenant_support_history(uuid)",
];

/// Every column `tsunagu_aggregates` (the owner of the console's aggregate functions, which reads
/// past row-level security) may select: counts, dates, roles and ids, and no name, email, text,
/// post or message. Adding to this list needs a reason in review (docs/CONSOLE.md).
const AGGREGATE_COLUMNS: &[&str] = &[
    "platform.tenants.created_at",
    "platform.tenants.id",
    "platform.tenants.level3",
    "platform.tenants.name",
    "platform.tenants.plan",
    "platform.tenants.slug",
    "platform.tenants.status",
    "platform.tenants.time_zone",
    "public.articles.id",
    "public.articles.like_count",
    "public.articles.status",
    "public.articles.tenant_id",
    "public.audit_events.actor_id",
    "public.audit_events.actor_kind",
    "public.audit_events.created_at",
    "public.audit_events.tenant_id",
    "public.content_reports.resolved_at",
    "public.content_reports.subject_id",
    "public.content_reports.subject_kind",
    "public.content_reports.tenant_id",
    "public.engagement_days.active_30d",
    "public.engagement_days.alumni",
    "public.engagement_days.day",
    "public.engagement_days.employees",
    "public.engagement_days.first_contacts",
    "public.engagement_days.member_started",
    "public.engagement_days.secretariat_started",
    "public.engagement_days.tenant_id",
    "public.event_rsvps.event_id",
    "public.event_rsvps.status",
    "public.event_rsvps.tenant_id",
    "public.events.id",
    "public.events.status",
    "public.events.tenant_id",
    "public.members.id",
    "public.members.role",
    "public.members.status",
    "public.members.tenant_id",
    "public.playbook_uses.playbook_key",
    "public.playbook_uses.subject_id",
    "public.playbook_uses.subject_kind",
    "public.playbook_uses.tenant_id",
    "public.recruitments.cheer_count",
    "public.recruitments.id",
    "public.recruitments.interested_count",
    "public.recruitments.see_later_count",
    "public.recruitments.status",
    "public.recruitments.tenant_id",
    "public.support_grants.created_at",
    "public.support_grants.expires_at",
    "public.support_grants.id",
    "public.support_grants.revoked_at",
    "public.support_grants.scopes",
    "public.support_grants.starts_at",
    "public.support_grants.tenant_id",
    "public.support_requests.answer",
    "public.support_requests.answered_at",
    "public.support_requests.created_at",
    "public.support_requests.days",
    "public.support_requests.scopes",
    "public.support_requests.staff_name",
    "public.support_requests.tenant_id",
    "public.survey_respondents.survey_id",
    "public.survey_respondents.tenant_id",
    "public.surveys.id",
    "public.surveys.status",
    "public.surveys.tenant_id",
];

/// (name, command, permissive, USING, WITH CHECK) of one policy.
type PolicyRow = (String, String, bool, Option<String>, Option<String>);

/// Every table (schema-qualified) with a `tenant_id` column, outside the platform allow-list.
pub async fn tenant_tables(conn: &mut PgConnection) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select n.nspname || '.' || c.relname from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped \
         where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') \
         order by 1",
    )
    .fetch_all(conn)
    .await
    .unwrap();
    tables
        .into_iter()
        .filter(|t| !PLATFORM_TABLES_WITH_TENANT_ID.contains(&t.as_str()))
        .collect()
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls_and_one_complete_policy() {
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    let tables = tenant_tables(&mut conn).await;
    assert!(
        tables.contains(&"public.announcements".to_string()),
        "{tables:?}"
    );

    let mut problems = Vec::new();
    for table in &tables {
        let (enabled, forced): (bool, bool) = sqlx::query_as(
            "select relrowsecurity, relforcerowsecurity from pg_class where oid = $1::regclass",
        )
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if !enabled || !forced {
            problems.push(format!(
                "{table}: row level security enabled={enabled} forced={forced}"
            ));
        }
        let policies: Vec<PolicyRow> = sqlx::query_as(
            "select polname::text, polcmd::text, polpermissive, \
                    pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) \
             from pg_policy where polrelid = $1::regclass",
        )
        .bind(table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        match policies.as_slice() {
            [(name, cmd, permissive, Some(using), Some(check))] => {
                let expected = "(tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id))";
                if name != "tenant_isolation" || cmd != "*" || !permissive || using != expected || check != expected {
                    problems.push(format!(
                        "{table}: policy {name} cmd={cmd} permissive={permissive} using={using} check={check}"
                    ));
                }
            }
            other => problems.push(format!(
                "{table}: needs exactly one policy tenant_isolation with USING and WITH CHECK, has {other:?}"
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "tenancy contract broken:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_key_of_a_tenant_table_includes_tenant_id() {
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    let tables = tenant_tables(&mut conn).await;
    let keys: Vec<(String, String, String, bool)> = sqlx::query_as(
        "select conrelid::regclass::text, conname::text, contype::text, \
                exists (select 1 from pg_attribute a where a.attrelid = c.conrelid \
                        and a.attnum = any (c.conkey) and a.attname = 'tenant_id') \
         from pg_constraint c where contype in ('p', 'u', 'f') \
           and conrelid in (select oid from pg_class where relkind in ('r', 'p'))",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let qualify = |t: &str| {
        if t.contains('.') {
            t.to_owned()
        } else {
            format!("public.{t}")
        }
    };
    let mut problems = Vec::new();
    let mut has_primary_key: Vec<String> = Vec::new();
    for (table, name, kind, includes_tenant) in keys {
        let table = qualify(&table);
        if !tables.contains(&table) {
            continue;
        }
        if kind == "p" {
            has_primary_key.push(table.clone());
        }
        if !includes_tenant {
            problems.push(format!(
                "{table}: constraint {name} ({kind}) does not include tenant_id"
            ));
        }
    }
    for table in &tables {
        if !has_primary_key.contains(table) {
            problems.push(format!("{table}: has no primary key"));
        }
    }
    // Unique indexes made outside constraints must include tenant_id too.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "select i.indrelid::regclass::text, i.indexrelid::regclass::text from pg_index i \
         where i.indisunique and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid) \
           and not exists (select 1 from pg_attribute a where a.attrelid = i.indrelid \
                           and a.attnum = any (i.indkey) and a.attname = 'tenant_id')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (table, index) in indexes {
        if tables.contains(&qualify(&table)) {
            problems.push(format!(
                "{table}: unique index {index} does not include tenant_id"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "keys must include tenant_id:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_foreign_key_has_an_index_that_leads_with_its_columns() {
    // Cascading deletes and "what did this member do" lookups otherwise read the whole tenant.
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    let unindexed: Vec<(String, String)> = sqlx::query_as(
        "select c.conrelid::regclass::text, c.conname::text from pg_constraint c \
         where c.contype = 'f' \
           and not exists ( \
             select 1 from pg_index i where i.indrelid = c.conrelid \
               and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey \
               and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey) \
         order by 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        unindexed.is_empty(),
        "foreign keys without an index leading with their columns: {unindexed:?}"
    );
}

#[tokio::test]
async fn the_app_role_cannot_bypass_rls_and_owns_nothing() {
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    let (user, superuser, bypass, createrole, createdb): (String, bool, bool, bool, bool) =
        sqlx::query_as(
            "select rolname::text, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb \
             from pg_roles where rolname = current_user",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(user, "tsunagu_app", "tests must connect as tsunagu_app");
    assert!(!superuser && !bypass && !createrole && !createdb);

    let owned: i64 = sqlx::query_scalar(
        "select (select count(*) from pg_class where relowner = r.oid) \
              + (select count(*) from pg_namespace where nspowner = r.oid) \
              + (select count(*) from pg_proc where proowner = r.oid) \
              + (select count(*) from pg_database where datdba = r.oid) \
         from pg_roles r where r.rolname = 'tsunagu_app'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(owned, 0, "tsunagu_app must own nothing");

    let member_of_privileged: Vec<String> = sqlx::query_scalar(
        "select g.rolname::text from pg_auth_members m \
         join pg_roles g on g.oid = m.roleid join pg_roles r on r.oid = m.member \
         where r.rolname = 'tsunagu_app'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        member_of_privileged.is_empty(),
        "tsunagu_app is a member of {member_of_privileged:?}"
    );
}

#[tokio::test]
async fn no_other_escape_hatches_exist() {
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    // Views run with their owner's rights unless security_invoker is set.
    let views: Vec<String> = sqlx::query_scalar(
        "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('v', 'm') and n.nspname not in ('pg_catalog', 'information_schema') \
           and not coalesce('security_invoker=true' = any (c.reloptions), false)",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        views.is_empty(),
        "views without security_invoker: {views:?}"
    );

    let definers: Vec<String> = sqlx::query_scalar(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
         where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let unexpected: Vec<&String> = definers
        .iter()
        .filter(|f| !SECURITY_DEFINER_ALLOW_LIST.contains(&f.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "SECURITY DEFINER functions not on the allow-list: {unexpected:?}"
    );

    // The tenant schema holds tenant tables only; platform data belongs in schema platform.
    let untenanted: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> '_sqlx_migrations' \
           and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        untenanted.is_empty(),
        "tables in public without tenant_id: {untenanted:?}"
    );
}

#[tokio::test]
async fn the_aggregates_role_reads_figures_only_and_cannot_log_in() {
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    let (login, bypass): (bool, bool) = sqlx::query_as(
        "select rolcanlogin, rolbypassrls from pg_roles where rolname = 'tsunagu_aggregates'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!login, "tsunagu_aggregates must not log in");
    assert!(
        bypass,
        "it reads across tenants, which is why its columns are listed"
    );
    let readable: Vec<String> = sqlx::query_scalar(
        "select n.nspname || '.' || c.relname || '.' || a.attname from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped \
         where c.relkind in ('r', 'p', 'v') and n.nspname in ('public', 'platform', 'app') \
           and has_column_privilege('tsunagu_aggregates', c.oid, a.attnum, 'select') \
         order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        readable, AGGREGATE_COLUMNS,
        "columns tsunagu_aggregates may read"
    );
    // And it writes nothing.
    let writable: i64 = sqlx::query_scalar(
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and n.nspname in ('public', 'platform') \
           and (has_table_privilege('tsunagu_aggregates', c.oid, 'insert') \
             or has_table_privilege('tsunagu_aggregates', c.oid, 'update') \
             or has_table_privilege('tsunagu_aggregates', c.oid, 'delete'))",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(writable, 0);
}

/// The role serving pages reads the platform's tables but cannot write them: a bug or injection
/// in any page cannot create a tenant, a custom domain or a staff account. `tsunagu_platform`
/// (the CLI's platform writes) can, and is no more privileged than the app otherwise.
#[tokio::test]
async fn only_the_platform_role_writes_tenants_domains_and_staff() {
    let db = TestDb::create().await;
    let mut conn = db.app_connection().await;
    for table in [
        "platform.tenants",
        "platform.custom_domains",
        "platform.staff_users",
    ] {
        for (role, privilege, expected) in [
            ("tsunagu_app", "select", true),
            ("tsunagu_app", "insert", false),
            ("tsunagu_app", "update", false),
            ("tsunagu_app", "delete", false),
            ("tsunagu_platform", "insert", true),
            ("tsunagu_platform", "update", true),
        ] {
            let held: bool = sqlx::query_scalar("select has_table_privilege($1, $2, $3)")
                .bind(role)
                .bind(table)
                .bind(privilege)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(held, expected, "{role} {privilege} on {table}");
        }
    }
    let error = sqlx::query(
        "insert into platform.staff_users (id, email, email_normalized, name, password_hash, role) \
         values (gen_random_uuid(), 'x@example.org', 'x@example.org', 'X', 'h', 'admin')",
    )
    .execute(&mut conn)
    .await
    .expect_err("the app role cannot create a staff account");
    assert!(error.to_string().contains("permission denied"), "{error}");
    let (superuser, bypass, createrole): (bool, bool, bool) = sqlx::query_as(
        "select rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = 'tsunagu_platform'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!superuser && !bypass && !createrole);
    // Without a tenant set, the settings function changes nothing and says why.
    let error = sqlx::query("select platform.save_tenant_settings('branding', '{}'::jsonb)")
        .execute(&mut conn)
        .await
        .expect_err("no tenant");
    assert!(error.to_string().contains("needs a tenant"), "{error}");
}
