//! The import's background run: in batches of [`BATCH`] rows, each in its own transaction, every
//! row checked again (someone may have joined since the preview) and made an invitation, its email
//! sent through the outbox when the secretariat asked for it. The run holds a lease on the import
//! and renews it with every batch; a run that stops (a restart) is taken over by the worker once
//! the lease ends, and carries on where it stopped, because a row's outcome commits with its
//! invitation. Importing a file again invites nobody twice.

use tsunagu_identity::email::{self, EmailSpec};
use tsunagu_identity::queries as identity;
use tsunagu_kernel::config::ServerConfig;
use tsunagu_kernel::{audit, Actor, Db, MemberKind};
use tsunagu_tenancy::Tenant;
use tsunagu_web::WebKit;

use super::parse::{self, check_rows, RowError};
use super::queries::{self, ImportId, Outcome};

/// Rows per transaction.
pub const BATCH: i64 = 500;

/// The worker's job: every claimable import of every active network.
pub async fn run_pending(db: &Db, web: &WebKit, config: &ServerConfig) -> anyhow::Result<usize> {
    let mut platform = db.begin_platform().await?;
    let tenants = tsunagu_tenancy::registry::list_active(&mut platform).await?;
    platform.commit().await?;
    let mut done = 0;
    for tenant in &tenants {
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        let pending = queries::claimable(&mut tx).await?;
        tx.commit().await?;
        for id in pending {
            done += run(db, web, config, tenant, id).await?;
        }
    }
    Ok(done)
}

/// Runs one import to its end if no other runner holds it; returns the rows it processed.
pub async fn run(
    db: &Db,
    web: &WebKit,
    config: &ServerConfig,
    tenant: &Tenant,
    id: ImportId,
) -> anyhow::Result<usize> {
    let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
    let Some(import) = queries::claim(&mut tx, id).await? else {
        tx.rollback().await?;
        return Ok(0);
    };
    let inviter_id = import.created_by;
    let origin = config.tenant_origin(&tenant.slug);
    let inviter_name = identity::find_by_id(&mut tx, inviter_id)
        .await?
        .map(|m| m.name_kanji)
        .unwrap_or_default();
    let email_column = import
        .mapping
        .0
        .iter()
        .position(|f| *f == Some(parse::Field::Email));
    tx.commit().await?;
    let mut processed = 0;
    loop {
        // The secretariat member who imported is the actor of every invitation it makes.
        let mut tx = db
            .begin_tenant(tenant.id, Actor::Member(inviter_id))
            .await?;
        let rows = queries::next_rows(&mut tx, id, BATCH).await?;
        if rows.is_empty() {
            queries::finish(&mut tx, id).await?;
            let finished = queries::find(&mut tx, id).await?;
            if let Some(finished) = finished {
                audit::record(
                    &mut tx,
                    "member.imported",
                    "member",
                    None,
                    serde_json::json!({
                        "file": finished.file_name,
                        "rows": finished.total_rows,
                        "invited": finished.invited,
                        "skipped": finished.skipped,
                        "failed": finished.failed,
                        "emails": finished.send_invitations,
                    }),
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(processed);
        }
        let normalized: Vec<String> = rows
            .iter()
            .filter_map(|(_, fields)| email_column.and_then(|i| fields.get(i)))
            .map(|e| e.trim().to_lowercase())
            .collect();
        let members = identity::imports::member_emails(&mut tx, &normalized).await?;
        let invited = identity::imports::invited_emails(&mut tx, &normalized).await?;
        let fields: Vec<Vec<String>> = rows.iter().map(|(_, f)| f.clone()).collect();
        let checked = check_rows(&fields, &import.mapping.0, &members, &invited);
        let mut outcomes = Vec::with_capacity(rows.len());
        for ((row_number, _), (row, errors)) in rows.iter().zip(checked) {
            let outcome = if !errors.is_empty() {
                if errors.iter().all(|e| e.is_skip()) {
                    "skipped"
                } else {
                    "failed"
                }
            } else {
                let kind = MemberKind::parse(&row.kind).unwrap_or(MemberKind::Alumni);
                let profile = serde_json::json!({
                    "name_kanji": row.name,
                    "name_kana": row.kana,
                    "name_romaji": row.romaji,
                    "joined_year": row.joined_year,
                    "left_year": row.left_year,
                    "department": row.department,
                    "current_organisation": row.organisation,
                });
                let normalized = row.email.trim().to_lowercase();
                match identity::imports::create_imported_invitation(
                    &mut tx,
                    row.email.trim(),
                    &normalized,
                    kind,
                    inviter_id,
                    &profile,
                    import.send_invitations,
                )
                .await?
                {
                    Some((invitation, token)) => {
                        if import.send_invitations {
                            send(
                                &mut tx,
                                web,
                                tenant,
                                &origin,
                                &inviter_name,
                                &row,
                                kind,
                                &token,
                            )
                            .await?;
                        }
                        audit::record(
                            &mut tx,
                            "invitation.imported",
                            "invitation",
                            Some(invitation.as_uuid()),
                            serde_json::json!({ "kind": kind, "sent": import.send_invitations }),
                        )
                        .await?;
                        "invited"
                    }
                    // Invited between the check and now.
                    None => "skipped",
                }
            };
            outcomes.push(Outcome {
                row_number: *row_number,
                outcome,
                errors: errors
                    .iter()
                    .map(|e: &RowError| e.as_str().to_owned())
                    .collect(),
            });
        }
        queries::record(&mut tx, id, &outcomes).await?;
        tx.commit().await?;
        processed += outcomes.len();
    }
}

#[allow(clippy::too_many_arguments)]
async fn send(
    tx: &mut tsunagu_kernel::TenantTx,
    web: &WebKit,
    tenant: &Tenant,
    origin: &str,
    inviter: &str,
    row: &parse::ImportRow,
    kind: MemberKind,
    token: &str,
) -> anyhow::Result<()> {
    let locale = email::member_locale(None, tenant);
    email::send(
        tx,
        web,
        tenant,
        &EmailSpec {
            kind: "invitation",
            to: row.email.trim(),
            recipient_name: Some(&row.name),
            locale,
            args: vec![
                ("inviter", inviter.to_owned()),
                (
                    "kind",
                    web.catalog.t(locale, &format!("member.kind.{kind}"), &[]),
                ),
                (
                    "days",
                    identity::INVITATION_LIFETIME.whole_days().to_string(),
                ),
            ],
            action_url: Some(format!("{origin}/join?invitation={token}")),
        },
    )
    .await?;
    Ok(())
}
