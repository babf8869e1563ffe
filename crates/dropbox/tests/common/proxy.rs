//! A man-in-the-middle between the client and the sandbox, for what the sandbox cannot script:
//! corrupted bytes in transit.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::response::Response;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Flip the first byte of the response body.
    FlipResponseByte,
    /// Flip the first byte of the request body.
    FlipRequestByte,
}

struct Rule {
    route: String,
    tamper: Tamper,
    times: u32,
}

struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    rules: Mutex<Vec<Rule>>,
}

pub struct Proxy {
    pub base_url: String,
    state: Arc<ProxyState>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let state = Arc::new(ProxyState {
            upstream: upstream.to_string(),
            http: reqwest::Client::new(),
            rules: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(forward).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { base_url, state }
    }

    /// Applies `tamper` to the next `times` requests of `route` (e.g. `files/download`).
    pub fn tamper(&self, route: &str, tamper: Tamper, times: u32) {
        self.state.rules.lock().unwrap().push(Rule {
            route: route.to_string(),
            tamper,
            times,
        });
    }
}

fn take_rule(st: &ProxyState, route: &str) -> Option<Tamper> {
    let mut rules = st.rules.lock().unwrap();
    let i = rules.iter().position(|r| r.route == route && r.times > 0)?;
    rules[i].times -= 1;
    Some(rules[i].tamper)
}

fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host" | "content-length" | "transfer-encoding" | "connection"
    )
}

async fn forward(State(st): State<Arc<ProxyState>>, req: Request) -> Response {
    let path_q = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let route = req.uri().path().trim_start_matches("/2/").to_string();
    let tamper = take_rule(&st, &route);
    let (parts, body) = req.into_parts();
    let mut body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec();
    if tamper == Some(Tamper::FlipRequestByte) && !body.is_empty() {
        body[0] ^= 0xff;
    }
    let mut rb = st
        .http
        .request(parts.method, format!("{}{path_q}", st.upstream));
    for (k, v) in &parts.headers {
        if !hop_by_hop(k) {
            rb = rb.header(k, v);
        }
    }
    let resp = rb.body(body).send().await.unwrap();
    let mut out = Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        if !hop_by_hop(k) {
            out = out.header(k, v);
        }
    }
    let mut bytes = resp.bytes().await.unwrap().to_vec();
    if tamper == Some(Tamper::FlipResponseByte) && !bytes.is_empty() {
        bytes[0] ^= 0xff;
    }
    out.body(Body::from(bytes)).unwrap()
}
