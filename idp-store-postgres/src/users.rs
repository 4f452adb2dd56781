//! Users of a tenant, found by the canonical form of their email
//! (`email_key`, unique per tenant where set).

use crate::{PostgresStore, db_error, tenant_transaction};
use deadpool_postgres::Transaction;
use idp_core::EmailAddress;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{StoreResult, UnindexedEmail, UserRecord, UserStore};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The columns [`user_from_row`] reads.
pub(crate) const COLUMNS: &str =
    "id, email, email_verified, name, password_hash, created_at, updated_at, disabled";

/// Rows per INSERT of a bulk import: big enough to cost few round trips,
/// small enough to keep each statement's arrays modest.
const CHUNK: usize = 1_000;

/// Inserts users from parallel arrays, each indexed under its email (which
/// the core has made canonical). A duplicate email is a conflict on
/// `email`, a duplicate id on `user id`.
const INSERT: &str = "INSERT INTO users
      (tenant_id, id, email, email_key, email_verified, name, password_hash,
       created_at, updated_at, disabled)
    SELECT $1, u.id, u.email, u.email, u.email_verified, u.name, u.password_hash,
           u.created_at, u.updated_at, u.disabled
    FROM unnest($2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[],
                $7::bigint[], $8::bigint[], $9::boolean[])
         WITH ORDINALITY AS u (id, email, email_verified, name, password_hash,
                               created_at, updated_at, disabled, n)
    ORDER BY u.n";

/// Inserts one user, indexed under their (canonical) email.
const INSERT_ONE: &str = "INSERT INTO users
      (tenant_id, id, email, email_key, email_verified, name, password_hash,
       created_at, updated_at, disabled)
    VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9)";

/// The parameters of [`INSERT_ONE`].
fn insert_one_params<'a>(
    tenant: &'a &str,
    id: &'a &str,
    user: &'a UserRecord,
) -> [&'a (dyn ToSql + Sync); 9] {
    [
        tenant,
        id,
        &user.email,
        &user.email_verified,
        &user.name,
        &user.password_hash,
        &user.created_at,
        &user.updated_at,
        &user.disabled,
    ]
}

/// Inserts `user` in `tx` (scoped to `tenant`): the audited form of
/// [`UserStore::create_user`].
pub(crate) async fn create_user_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserRecord,
) -> StoreResult<u64> {
    let (tenant, id) = (tenant.as_str(), user.id.as_str());
    let statement = tx.prepare_cached(INSERT_ONE).await.map_err(db_error)?;
    tx.execute(&statement, &insert_one_params(&tenant, &id, user))
        .await
        .map_err(db_error)
}

/// Inserts `users` in one transaction: all or none.
async fn insert(store: &PostgresStore, tenant: &TenantId, users: &[UserRecord]) -> StoreResult<()> {
    let mut conn = store.client().await?;
    let tx = tenant_transaction(&mut conn, tenant).await?;
    let statement = tx.prepare_cached(INSERT).await.map_err(db_error)?;
    for chunk in users.chunks(CHUNK) {
        let ids: Vec<&str> = chunk.iter().map(|u| u.id.as_str()).collect();
        let emails: Vec<&str> = chunk.iter().map(|u| u.email.as_str()).collect();
        let verified: Vec<bool> = chunk.iter().map(|u| u.email_verified).collect();
        let names: Vec<Option<&str>> = chunk.iter().map(|u| u.name.as_deref()).collect();
        let hashes: Vec<Option<&str>> = chunk.iter().map(|u| u.password_hash.as_deref()).collect();
        let created: Vec<i64> = chunk.iter().map(|u| u.created_at).collect();
        let updated: Vec<i64> = chunk.iter().map(|u| u.updated_at).collect();
        let disabled: Vec<bool> = chunk.iter().map(|u| u.disabled).collect();
        tx.execute(
            &statement,
            &[
                &tenant.as_str(),
                &ids,
                &emails,
                &verified,
                &names,
                &hashes,
                &created,
                &updated,
                &disabled,
            ],
        )
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

impl UserStore for PostgresStore {
    /// One round trip ([`PostgresStore::tenant_execute`]).
    async fn create_user(&self, tenant: &TenantId, user: &UserRecord) -> StoreResult<()> {
        let (tenant_id, id) = (tenant.as_str(), user.id.as_str());
        self.tenant_execute(
            tenant,
            INSERT_ONE,
            &insert_one_params(&tenant_id, &id, user),
        )
        .await?;
        Ok(())
    }

    async fn create_users(&self, tenant: &TenantId, users: &[UserRecord]) -> StoreResult<()> {
        insert(self, tenant, users).await
    }

    async fn user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<UserRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"),
                &[&tenant.as_str(), &id.as_str()],
            )
            .await?;
        rows.first().map(user_from_row).transpose()
    }

    /// One lookup in the partial unique index; unindexed rows are never
    /// found.
    async fn user_by_email(
        &self,
        tenant: &TenantId,
        email: &EmailAddress,
    ) -> StoreResult<Option<UserRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND email_key = $2"),
                &[&tenant.as_str(), &email.as_str()],
            )
            .await?;
        rows.first().map(user_from_row).transpose()
    }

    /// Across tenants, so through the schema's SECURITY DEFINER function
    /// (no tenant-scoped transaction could see them all).
    async fn unindexed_emails(&self) -> StoreResult<Vec<UnindexedEmail>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT tenant_id, user_id, email FROM idp_unindexed_emails()")
            .await
            .map_err(db_error)?;
        let rows = client.query(&statement, &[]).await.map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(UnindexedEmail {
                    tenant: TenantId::new(r.try_get::<_, String>(0).map_err(db_error)?),
                    user: UserId::new(r.try_get::<_, String>(1).map_err(db_error)?),
                    email: r.try_get(2).map_err(db_error)?,
                })
            })
            .collect()
    }

    /// A unique violation (another user holds the key) is a conflict on
    /// `email` and changes nothing.
    async fn index_email(
        &self,
        tenant: &TenantId,
        user: &UserId,
        email: &EmailAddress,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "UPDATE users SET email_key = $3
             WHERE tenant_id = $1 AND id = $2 AND email_key IS NULL",
            &[&tenant.as_str(), &user.as_str(), &email.as_str()],
        )
        .await?;
        Ok(())
    }
}

/// A user from a row of [`COLUMNS`].
pub(crate) fn user_from_row(r: &Row) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: UserId::new(r.try_get::<_, String>(0).map_err(db_error)?),
        email: r.try_get(1).map_err(db_error)?,
        email_verified: r.try_get(2).map_err(db_error)?,
        name: r.try_get(3).map_err(db_error)?,
        password_hash: r.try_get(4).map_err(db_error)?,
        created_at: r.try_get(5).map_err(db_error)?,
        updated_at: r.try_get(6).map_err(db_error)?,
        disabled: r.try_get(7).map_err(db_error)?,
    })
}
