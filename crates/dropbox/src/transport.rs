//! Wharf's implementation of the SDK's async `HttpClient` over a shared `reqwest::Client`. One `Conn` is a
//! cheap view (token + path root) over the shared transport, built per attempt by the call executor.

use crate::endpoints::DropboxEndpoints;
use crate::upload::Chunk;
use bytes::Bytes;
use dropbox_sdk::async_client_trait::{
    HttpClient, HttpRequest, HttpRequestResultRaw, NoauthClient, UserAuthClient,
};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use std::sync::{Arc, Mutex};

/// The shared HTTP machinery of a hub.
pub(crate) struct Transport {
    /// For RPC, upload and download calls (read timeout catches stalled transfers).
    pub http: reqwest::Client,
    /// For longpoll, whose answer legitimately takes minutes.
    pub long_http: reqwest::Client,
    pub endpoints: DropboxEndpoints,
}

/// A request being built by the SDK.
pub(crate) struct Req {
    url: String,
    long: bool,
    headers: Vec<(String, String)>,
}

impl HttpRequest for Req {
    fn set_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A response body as reqwest's own chunks.
pub(crate) type ByteStream = BoxStream<'static, reqwest::Result<Bytes>>;

/// Where a successful response's body goes instead of into the SDK's `AsyncRead`, which would copy
/// every byte once more (and have `compat` zero each read buffer first). Downloads use it: besides
/// hashing, moving the bytes is all the client does.
#[derive(Clone, Default)]
pub(crate) struct BodySlot(Arc<Mutex<Option<ByteStream>>>);

impl BodySlot {
    pub fn take(&self) -> Option<ByteStream> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn put(&self, body: ByteStream) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
    }
}

/// What the SDK routes are called with.
#[derive(Clone)]
pub(crate) struct Conn {
    transport: Arc<Transport>,
    token: Option<Arc<String>>,
    path_root: Option<String>,
    user_agent: &'static str,
    body_slot: Option<BodySlot>,
    /// Sent instead of the body the SDK hands over (see [`Conn::with_request_body`]).
    request_body: Option<Chunk>,
}

impl Conn {
    pub fn new(
        transport: Arc<Transport>,
        token: Option<Arc<String>>,
        path_root: Option<String>,
    ) -> Self {
        Self {
            transport,
            token,
            path_root,
            user_agent: concat!("Wharf/", env!("CARGO_PKG_VERSION")),
            body_slot: None,
            request_body: None,
        }
    }

    /// This connection hands a 2xx body to `slot`; the SDK sees an empty one.
    pub fn with_body_slot(mut self, slot: BodySlot) -> Self {
        self.body_slot = Some(slot);
        self
    }

    /// This connection sends `chunk` as the request body, piece by piece as it arrived, whatever
    /// the SDK passes (give it an empty body): the SDK takes one contiguous buffer, and gathering an
    /// upload's pieces into one would copy every byte once more.
    pub fn with_request_body(mut self, chunk: Chunk) -> Self {
        self.request_body = Some(chunk);
        self
    }
}

/// A transport failure, kept typed so the retry policy can tell "never sent" from "maybe processed".
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub(crate) struct TransportError {
    /// The request could not have reached Dropbox (connection refused, DNS, TLS handshake).
    pub not_sent: bool,
    #[source]
    pub source: reqwest::Error,
}

/// A 5xx answer, kept with its `Retry-After` (the SDK's own `ServerError` drops headers).
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
pub(crate) struct ServerStatus {
    pub status: u16,
    pub retry_after: Option<std::time::Duration>,
    pub body: String,
}

impl HttpClient for Conn {
    type Request = Req;

    async fn execute(
        &self,
        request: Req,
        body: Bytes,
    ) -> Result<HttpRequestResultRaw, dropbox_sdk::Error> {
        let client = if request.long {
            &self.transport.long_http
        } else {
            &self.transport.http
        };
        let mut rb = client.post(&request.url);
        for (name, value) in &request.headers {
            // Our own User-Agent identifies Wharf rather than the SDK.
            if name.eq_ignore_ascii_case("user-agent") {
                rb = rb.header("User-Agent", self.user_agent);
            } else {
                rb = rb.header(name.as_str(), value.as_str());
            }
        }
        let rb = match &self.request_body {
            Some(chunk) => chunk.clone().into_body_of(rb),
            None => rb.body(body),
        };
        let resp = rb.send().await.map_err(|e| {
            dropbox_sdk::Error::HttpClient(Box::new(TransportError {
                not_sent: e.is_connect(),
                source: e,
            }))
        })?;
        let status = resp.status().as_u16();
        if status >= 500 {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(std::time::Duration::from_secs);
            let body: String = resp
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            return Err(dropbox_sdk::Error::HttpClient(Box::new(ServerStatus {
                status,
                retry_after,
                body,
            })));
        }
        let result_header = resp
            .headers()
            .get("Dropbox-API-Result")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_length = resp.content_length();
        let body: Box<dyn futures::AsyncRead + Send + Unpin> = match &self.body_slot {
            Some(slot) if (200..300).contains(&status) => {
                slot.put(resp.bytes_stream().boxed());
                Box::new(futures::io::empty())
            }
            _ => Box::new(
                resp.bytes_stream()
                    .map_err(std::io::Error::other)
                    .into_async_read(),
            ),
        };
        Ok(HttpRequestResultRaw {
            status,
            result_header,
            content_length,
            body,
        })
    }

    fn new_request(&self, url: &str) -> Req {
        Req {
            long: self.transport.endpoints.is_notify(url),
            url: self.transport.endpoints.rewrite(url),
            headers: Vec::new(),
        }
    }

    fn token(&self) -> Option<Arc<String>> {
        self.token.clone()
    }

    fn path_root(&self) -> Option<&str> {
        self.path_root.as_deref()
    }
}

impl UserAuthClient for Conn {}
impl NoauthClient for Conn {}
