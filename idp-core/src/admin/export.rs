//! Exporting a tenant's users (issue 17, organisation admins): every user
//! without secrets (no password hash), with their roles, as JSON Lines or
//! CSV, read in keyset pages so that an export of a million users holds one
//! page in memory at a time.
//!
//! CSV follows RFC 4180 (CRLF line ends, a header row, fields with a comma,
//! a quote, a CR or LF quoted, quotes doubled) and is safe to open in a
//! spreadsheet: a cell starting with `=`, `+`, `-`, `@` (or a tab or CR,
//! which some spreadsheets skip first) is prefixed with `'` so it is never
//! read as a formula (OWASP "CSV injection").

use super::Admin;
use super::error::AdminError;
use crate::clock::format_rfc3339;
use crate::ids::{TenantId, UserId};
use crate::store::{Store, UserRecord};
use serde_json::json;
use std::sync::Arc;

/// Users per page read from the store.
pub const EXPORT_PAGE: usize = 500;

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line (`application/x-ndjson`).
    JsonLines,
    /// RFC 4180 CSV with a header row (`text/csv`).
    Csv,
}

impl ExportFormat {
    /// `jsonl` or `csv`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jsonl" => Some(Self::JsonLines),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    /// The media type of the body.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::JsonLines => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8; header=present",
        }
    }

    /// What the body starts with: CSV's header row.
    pub fn header(self) -> &'static str {
        match self {
            Self::JsonLines => "",
            Self::Csv => "id,email,email_verified,name,disabled,created_at,roles\r\n",
        }
    }

    /// One user as a line of this format (with its line end).
    pub fn line(self, user: &UserRecord, roles: &[String]) -> String {
        match self {
            Self::JsonLines => {
                let mut line = json!({
                    "id": user.id.as_str(),
                    "email": user.email,
                    "email_verified": user.email_verified,
                    "name": user.name,
                    "disabled": user.disabled,
                    "created_at": format_rfc3339(user.created_at),
                    "roles": roles,
                })
                .to_string();
                line.push('\n');
                line
            }
            Self::Csv => {
                let cells = [
                    user.id.as_str().to_owned(),
                    user.email.clone(),
                    user.email_verified.to_string(),
                    user.name.clone().unwrap_or_default(),
                    user.disabled.to_string(),
                    format_rfc3339(user.created_at),
                    roles.join(" "),
                ];
                let mut line = cells
                    .iter()
                    .map(|c| csv_cell(c))
                    .collect::<Vec<_>>()
                    .join(",");
                line.push_str("\r\n");
                line
            }
        }
    }
}

/// One CSV cell: formula-neutralized, then quoted if RFC 4180 needs it.
fn csv_cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// An export in progress: call [`UserExport::next_page`] until it gives
/// `None`. Owns what it needs, so it can run on a task of its own while
/// the response streams.
pub struct UserExport<S: Store> {
    store: Arc<S>,
    tenant: TenantId,
    after: Option<UserId>,
    done: bool,
}

impl<S: Store> UserExport<S> {
    /// The next page of users with their roles, by id; `None` at the end.
    pub async fn next_page(
        &mut self,
    ) -> Result<Option<Vec<(UserRecord, Vec<String>)>>, AdminError> {
        if self.done {
            return Ok(None);
        }
        let users = self
            .store
            .users_page(&self.tenant, self.after.as_ref(), EXPORT_PAGE)
            .await?;
        self.done = users.len() < EXPORT_PAGE;
        self.after = users.last().map(|u| u.id.clone());
        if users.is_empty() {
            return Ok(None);
        }
        let mut page = Vec::with_capacity(users.len());
        for user in users {
            let roles = self.store.user_roles(&self.tenant, &user.id).await?;
            page.push((user, roles));
        }
        Ok(Some(page))
    }
}

impl<S: Store> Admin<S> {
    /// Starts an export of the tenant `slug`'s users (the tenant must exist).
    pub async fn export_users(&self, slug: &str) -> Result<UserExport<S>, AdminError> {
        let tenant = self.tenant(slug).await?;
        Ok(UserExport {
            store: Arc::clone(&self.store),
            tenant: tenant.record.id.clone(),
            after: None,
            done: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=1+2"), "'=1+2");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("jsonl"), Some(ExportFormat::JsonLines));
        assert_eq!(ExportFormat::parse("xml"), None);
    }
}
