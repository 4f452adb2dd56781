//! Bringing users stored before emails were normalized under the canonical
//! form of [`crate::email`], without ever merging two accounts.
//!
//! Older versions only trimmed and lowercased, so a database may hold
//! `alice@example.com` beside `ａlice@example.com` (fullwidth), or an
//! address ending in a zero-width space. [`index_emails`] runs when the
//! server or the CLI opens the store, and gives each row the store has not
//! indexed yet ([`UserStore::unindexed_emails`](crate::store::UserStore::unindexed_emails)) its canonical form:
//! - rows whose stored text already is canonical first, so that the
//!   account people actually sign in with keeps its address whatever the
//!   creation order;
//! - then the others, oldest first. One whose canonical form another user
//!   of the tenant already holds is a **collision**: it stays unindexed, so
//!   it cannot sign in, and is reported (a warning naming the tenant and
//!   both user ids) at every start until an operator deletes or renames one
//!   of them. No row is rewritten, merged or deleted here.
//! - A row that is no address at all under the new rules (an invisible or
//!   control character) is reported the same way.
//!
//! Once every row is indexed this is one query that returns nothing.

use crate::email::EmailAddress;
use crate::ids::{TenantId, UserId};
use crate::store::{Store, StoreError, StoreResult, UnindexedEmail};

/// What [`index_emails`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EmailIndexReport {
    /// Rows indexed under their canonical email this time.
    pub indexed: usize,
    /// Rows left unindexed because another user holds their canonical email.
    pub collisions: Vec<EmailCollision>,
    /// Rows left unindexed because their email is not acceptable any more.
    pub invalid: Vec<InvalidEmail>,
}

/// Two users of one tenant whose emails are the same once normalized.
#[derive(Debug, PartialEq, Eq)]
pub struct EmailCollision {
    /// Their tenant.
    pub tenant: TenantId,
    /// The user left unindexed (cannot sign in).
    pub user: UserId,
    /// The user who holds the canonical email (`None` if it vanished meanwhile).
    pub holder: Option<UserId>,
}

/// A user whose stored email the parser refuses.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidEmail {
    /// Their tenant.
    pub tenant: TenantId,
    /// The user (cannot sign in).
    pub user: UserId,
    /// Why ([`crate::email::EmailError::reason`]: without the address).
    pub reason: String,
}

/// Indexes every unindexed user's email (module docs) and logs a warning
/// for each collision and invalid email. Safe to run concurrently with
/// another process doing the same: a row indexed meanwhile is skipped.
pub async fn index_emails<S: Store>(store: &S) -> StoreResult<EmailIndexReport> {
    let rows = store.unindexed_emails().await?;
    let mut report = EmailIndexReport::default();
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        match EmailAddress::parse(&row.email) {
            Ok(email) => parsed.push((row, email)),
            Err(e) => report.invalid.push(InvalidEmail {
                tenant: row.tenant,
                user: row.user,
                reason: e.reason(),
            }),
        }
    }
    // Stable: within each group, the store's oldest-first order.
    parsed.sort_by_key(|(row, email)| row.email != email.as_str());
    for (row, email) in parsed {
        index_one(store, row, &email, &mut report).await?;
    }
    for c in &report.collisions {
        tracing::warn!(
            tenant = %c.tenant,
            user = %c.user,
            holder = c.holder.as_ref().map(|h| h.to_string()).as_deref().unwrap_or("-"),
            "two users' emails are the same once normalized (look-alike accounts); \
             the user named cannot sign in until an operator deletes or renames one of them"
        );
    }
    for i in &report.invalid {
        tracing::warn!(tenant = %i.tenant, user = %i.user, reason = %i.reason,
            "a user's stored email is not an acceptable address any more; they cannot sign in until it is changed");
    }
    if report.indexed > 0 {
        tracing::info!(
            indexed = report.indexed,
            "users' emails indexed under their canonical form"
        );
    }
    Ok(report)
}

async fn index_one<S: Store>(
    store: &S,
    row: UnindexedEmail,
    email: &EmailAddress,
    report: &mut EmailIndexReport,
) -> StoreResult<()> {
    match store.index_email(&row.tenant, &row.user, email).await {
        Ok(()) => report.indexed += 1,
        Err(StoreError::Conflict(_)) => {
            let holder = store.user_by_email(&row.tenant, email).await?.map(|u| u.id);
            report.collisions.push(EmailCollision {
                tenant: row.tenant,
                user: row.user,
                holder,
            });
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
