//! Users of a tenant, found by the canonical form of their email
//! (`email_key`, migration 7).

use idp_core::EmailAddress;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{UnindexedEmail, UserRecord};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const COLUMNS: &str = "id, email, email_verified, name, password_hash, created_at, updated_at";

/// Inserts a user, indexed under its email (which the core has made
/// canonical); a duplicate email in the tenant is a conflict on `email`, a
/// duplicate id on `user id`.
pub(crate) fn create(conn: &Connection, tenant: &TenantId, user: &UserRecord) -> Result<()> {
    // Cached: a bulk import runs this statement once per row.
    conn.prepare_cached(
        "INSERT INTO users
           (tenant_id, id, email, email_key, email_verified, name, password_hash,
            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        tenant.as_str(),
        user.id.as_str(),
        user.email,
        user.email_verified,
        user.name,
        user.password_hash,
        user.created_at,
        user.updated_at,
    ])?;
    Ok(())
}

/// A user by id, within the tenant.
pub(crate) fn by_id(
    conn: &Connection,
    tenant: &TenantId,
    id: &UserId,
) -> Result<Option<UserRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = ?1 AND id = ?2"
    ))?
    .query_row([tenant.as_str(), id.as_str()], user_from_row)
    .optional()
}

/// A user by the canonical form of their email (one lookup in the partial
/// unique index; unindexed rows are never found).
pub(crate) fn by_email(
    conn: &Connection,
    tenant: &TenantId,
    email: &EmailAddress,
) -> Result<Option<UserRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = ?1 AND email_key = ?2"
    ))?
    .query_row([tenant.as_str(), email.as_str()], user_from_row)
    .optional()
}

/// Users of every tenant without an `email_key`, oldest first.
pub(crate) fn unindexed(conn: &Connection) -> Result<Vec<UnindexedEmail>> {
    conn.prepare(
        "SELECT tenant_id, id, email FROM users WHERE email_key IS NULL
         ORDER BY created_at, rowid",
    )?
    .query_map([], |r| {
        Ok(UnindexedEmail {
            tenant: TenantId::new(r.get::<_, String>(0)?),
            user: UserId::new(r.get::<_, String>(1)?),
            email: r.get(2)?,
        })
    })?
    .collect()
}

/// Sets an unindexed user's `email_key`; a unique violation (another user
/// holds it) is a conflict on `email`.
pub(crate) fn index(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    email: &EmailAddress,
) -> Result<()> {
    conn.execute(
        "UPDATE users SET email_key = ?3
         WHERE tenant_id = ?1 AND id = ?2 AND email_key IS NULL",
        [tenant.as_str(), user.as_str(), email.as_str()],
    )?;
    Ok(())
}

fn user_from_row(r: &Row<'_>) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId::new(r.get::<_, String>(0)?),
        email: r.get(1)?,
        email_verified: r.get(2)?,
        name: r.get(3)?,
        password_hash: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, email, two_tenants, user_record};
    use idp_core::ids::UserId;
    use idp_core::store::{StoreError, UserStore};

    #[tokio::test]
    async fn rows_without_a_key_are_listed_indexed_once_and_never_found_before() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        store
            .create_user(&a, &user_record("u1", "ada@example.com"))
            .await?;
        // Two rows as a version before 7 wrote them: no email_key.
        store
            .run(|c| {
                c.execute_batch(
                    "INSERT INTO users (tenant_id, id, email, email_verified, created_at, updated_at)
                     SELECT tenant_id, 'old1', 'ａda@example.com', 0, 5, 5 FROM users WHERE id = 'u1';
                     INSERT INTO users (tenant_id, id, email, email_verified, created_at, updated_at)
                     SELECT tenant_id, 'old2', 'bob@example.com', 0, 6, 6 FROM users WHERE id = 'u1';",
                )
            })
            .await?;
        let rows = store.unindexed_emails().await?;
        let ids: Vec<&str> = rows.iter().map(|r| r.user.as_str()).collect();
        assert_eq!(ids, ["old1", "old2"], "oldest first, only unindexed rows");
        assert_eq!(rows[0].tenant, a);
        assert_eq!(rows[0].email, "ａda@example.com");
        assert!(
            store
                .user_by_email(&a, &email("bob@example.com"))
                .await?
                .is_none()
        );

        store
            .index_email(&a, &UserId::new("old2"), &email("bob@example.com"))
            .await?;
        let bob = store.user_by_email(&a, &email("bob@example.com")).await?;
        assert_eq!(bob.map(|u| u.id), Some(UserId::new("old2")));
        let clash = store
            .index_email(&a, &UserId::new("old1"), &email("ada@example.com"))
            .await;
        assert!(
            matches!(clash, Err(StoreError::Conflict(ref f)) if f == "email"),
            "{clash:?}"
        );
        let left: Vec<_> = store.unindexed_emails().await?;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].user, UserId::new("old1"));
        Ok(())
    }
}
