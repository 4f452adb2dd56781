//! How changes to tenants, their keys and clients made by another
//! instance (or the CLI) reach this process's caches at once: the tables'
//! triggers `pg_notify('idp_changes', …)` on commit, and every instance
//! keeps one connection that `LISTEN`s and hands each notification to the
//! provider ([`StoreChange`]). When that connection drops, notifications
//! may have been missed: after every (re)connection the feed reports
//! [`StoreChange::Unknown`] (forget everything), then listens again,
//! retrying every second while the database is away.

use crate::PostgresStore;
use futures_util::{Stream, StreamExt};
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::StoreChange;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_postgres::{AsyncMessage, Connection, Notification};

/// The notification channel the triggers send on.
pub const CHANNEL: &str = "idp_changes";

/// How long the feed waits before connecting again.
const RECONNECT: Duration = Duration::from_secs(1);

/// A change as a notification's payload says it: `tenant <id>` or
/// `client <tenant id> <client id>` (ids never contain spaces).
pub type Change = StoreChange;

/// Parses a payload; anything else is `Unknown` (forget everything).
pub fn parse(payload: &str) -> StoreChange {
    let mut words = payload.split(' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("tenant"), Some(id), None, None) => StoreChange::Tenant(TenantId::new(id)),
        (Some("client"), Some(tenant), Some(client), None) => StoreChange::Client {
            tenant: TenantId::new(tenant),
            client: ClientId::new(client),
        },
        _ => StoreChange::Unknown,
    }
}

/// The listening task's handle: dropping it stops the task.
pub struct ChangeFeed {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ChangeFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PostgresStore {
    /// Starts listening for changes; `on_change` is called for each, on the
    /// feed's task. Must be called within a Tokio runtime.
    pub fn listen(&self, on_change: Box<dyn Fn(StoreChange) + Send + Sync>) -> ChangeFeed {
        let connector = self.connector().clone();
        let task = tokio::spawn(async move {
            loop {
                let (sender, mut received) = unbounded_channel();
                match connector.connect_listening(sender).await {
                    Ok(client) => match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                        Ok(()) => {
                            on_change(StoreChange::Unknown);
                            while let Some(n) = received.recv().await {
                                on_change(parse(n.payload()));
                            }
                            tracing::warn!("lost the database change feed; reconnecting");
                        }
                        Err(e) => {
                            tracing::warn!(error = %crate::describe(&e), "cannot LISTEN for changes")
                        }
                    },
                    Err(e) => {
                        tracing::debug!(error = %crate::describe(&e), "change feed cannot connect");
                    }
                }
                tokio::time::sleep(RECONNECT).await;
            }
        });
        ChangeFeed { task }
    }
}

/// Drives a listening connection, forwarding its notifications, until it
/// closes (the sender is dropped then, which ends the feed's wait).
pub(crate) async fn drive<S, T>(
    mut connection: Connection<S, T>,
    sender: UnboundedSender<Notification>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    while let Some(message) = next(&mut messages).await {
        match message {
            Ok(AsyncMessage::Notification(n)) => {
                if sender.send(n).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(error = %crate::describe(&e), "change feed connection closed");
                return;
            }
        }
    }
}

async fn next<M: Stream + Unpin>(messages: &mut M) -> Option<M::Item> {
    messages.next().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse_and_anything_else_forgets_everything() {
        assert_eq!(parse("tenant t1"), StoreChange::Tenant(TenantId::new("t1")));
        assert_eq!(
            parse("client t1 c1"),
            StoreChange::Client {
                tenant: TenantId::new("t1"),
                client: ClientId::new("c1")
            }
        );
        assert_eq!(parse("client t1"), StoreChange::Unknown);
        assert_eq!(parse(""), StoreChange::Unknown);
    }
}
