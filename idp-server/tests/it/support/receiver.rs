//! A tiny HTTP server on 127.0.0.1:0 standing in for a relying party's own
//! endpoints: it records what came (back-channel logout) and serves the
//! documents the provider fetches (a `jwks_uri`, a `request_uri`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// `Content-Type`.
    pub content_type: String,
    /// Body text.
    pub body: String,
}

/// A relying party's endpoints: answers 200 to everything (with the
/// document served at the path, if any; or the status set for the path)
/// and records what came.
pub struct Receiver {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    got: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
    documents: Arc<Mutex<HashMap<String, (String, String)>>>,
    statuses: Arc<Mutex<HashMap<String, u16>>>,
}

/// Reads one HTTP/1.1 request (headers, then `content-length` bytes).
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let header = |name: &str| {
        head.split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        method,
        path,
        content_type: header("content-type").unwrap_or_default(),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

impl Receiver {
    /// Starts listening on 127.0.0.1:0.
    pub async fn start() -> Self {
        Self::start_at(0).await
    }

    /// A port of 127.0.0.1 that was free a moment ago and where nothing
    /// listens now: a relying party that is down, until
    /// [`Receiver::start_at`] brings it up there.
    pub fn free_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    }

    /// Starts listening on 127.0.0.1:`port` (0: any free port).
    pub async fn start_at(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let got = Arc::new(Mutex::new(Vec::new()));
        let documents: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
        let statuses: Arc<Mutex<HashMap<String, u16>>> = Arc::default();
        let (log, docs, codes) = (
            Arc::clone(&got),
            Arc::clone(&documents),
            Arc::clone(&statuses),
        );
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (log, docs, codes) = (Arc::clone(&log), Arc::clone(&docs), Arc::clone(&codes));
                tokio::spawn(async move {
                    let mut response =
                        "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_owned();
                    if let Some(r) = read_request(&mut stream).await {
                        if let Some(code) = codes.lock().expect("statuses").get(&r.path) {
                            response = format!(
                                "HTTP/1.1 {code} Status\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            );
                        } else if let Some((ct, body)) =
                            docs.lock().expect("documents").get(&r.path)
                        {
                            response = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                        }
                        log.lock().expect("log").push(r);
                    }
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        Self {
            base: format!("http://{addr}"),
            got,
            connections,
            documents,
            statuses,
        }
    }

    /// Answers `status` (with no body) to every request to `path` from now
    /// on; 200 puts the path back to normal.
    pub fn answer(&self, path: &str, status: u16) {
        let mut statuses = self.statuses.lock().expect("statuses");
        if status == 200 {
            statuses.remove(path);
        } else {
            statuses.insert(path.to_owned(), status);
        }
    }

    /// Serves `body` as `content_type` at `path` (replacing what was there);
    /// returns its URL.
    pub fn serve(&self, path: &str, content_type: &str, body: &str) -> String {
        self.documents
            .lock()
            .expect("documents")
            .insert(path.to_owned(), (content_type.to_owned(), body.to_owned()));
        self.url(path)
    }

    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What came to `path`.
    pub fn at(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .expect("log")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// How many connections were opened, whether or not a request came on
    /// them (a TLS handshake to this plain listener fails, but counts).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many requests came in all.
    pub fn total(&self) -> usize {
        self.got.lock().expect("log").len()
    }
}
