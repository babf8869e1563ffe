//! Shared helpers for the integration tests: a sandbox on port 0 with one app, one account and a token, and
//! one method per kind of Dropbox call.
#![allow(dead_code)]

use dropbox_sandbox::{AccountInfo, AppSpec, RunningSandbox, SandboxConfig, TokenSpec, spawn};
use reqwest::StatusCode;
use serde_json::Value;

pub const APP_KEY: &str = "test-app-key";
pub const APP_SECRET: &str = "test-app-secret";
pub const REDIRECT: &str = "http://localhost:9999/callback";

pub struct TestSandbox {
    pub sb: RunningSandbox,
    pub http: reqwest::Client,
    pub account: AccountInfo,
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

impl TestSandbox {
    pub async fn start() -> Self {
        Self::start_with(SandboxConfig::for_tests()).await
    }

    pub async fn start_with(config: SandboxConfig) -> Self {
        let config = config.with_app(
            AppSpec::new(APP_KEY, APP_SECRET)
                .name("Wharf Test")
                .redirect_uri(REDIRECT),
        );
        let sb = spawn(config).await.expect("sandbox starts");
        let account = sb.accounts()[0].clone();
        let token = sb
            .issue_token(TokenSpec {
                app_key: APP_KEY.into(),
                ..TokenSpec::new(&account.account_id)
            })
            .unwrap()
            .access_token;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            sb,
            http,
            account,
            token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    /// An RPC call with the default token.
    pub async fn rpc(&self, route: &str, arg: Value) -> Reply {
        self.rpc_as(&self.token, route, arg).await
    }

    pub async fn rpc_as(&self, token: &str, route: &str, arg: Value) -> Reply {
        let resp = self
            .http
            .post(self.url(&format!("/2/{route}")))
            .bearer_auth(token)
            .header("Content-Type", "application/json")
            .body(arg.to_string())
            .send()
            .await
            .unwrap();
        reply(resp).await
    }

    /// An RPC call whose result must be 200; returns the JSON.
    pub async fn ok(&self, route: &str, arg: Value) -> Value {
        let r = self.rpc(route, arg).await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.text);
        r.json()
    }

    /// An upload-style call with `arg` in `Dropbox-API-Arg`.
    pub async fn upload_call(&self, route: &str, arg: &Value, body: Vec<u8>) -> Reply {
        self.upload_call_as(&self.token, route, arg, body).await
    }

    /// [`TestSandbox::upload_call`] with another token.
    pub async fn upload_call_as(
        &self,
        token: &str,
        route: &str,
        arg: &Value,
        body: Vec<u8>,
    ) -> Reply {
        let resp = self
            .http
            .post(self.url(&format!("/2/{route}")))
            .bearer_auth(token)
            .header("Dropbox-API-Arg", ascii(arg))
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        reply(resp).await
    }

    /// `files/upload` of `content` to `path` (mode add) with `token`.
    pub async fn upload_as(&self, token: &str, path: &str, content: &[u8]) -> Reply {
        let arg = serde_json::json!({ "path": path });
        self.upload_call_as(token, "files/upload", &arg, content.to_vec())
            .await
    }

    /// Uploads `content` to `path` (mode add) and returns the metadata.
    pub async fn put(&self, path: &str, content: &[u8]) -> Value {
        let r = self.upload_as(&self.token, path, content).await;
        assert_eq!(r.status, StatusCode::OK, "upload {path}: {}", r.text);
        r.json()
    }

    /// A download-style call; `range` becomes a `Range` header.
    pub async fn download(
        &self,
        route: &str,
        arg: &Value,
        range: Option<&str>,
    ) -> (Reply, Vec<u8>) {
        let mut req = self
            .http
            .post(self.url(&format!("/2/{route}")))
            .bearer_auth(&self.token)
            .header("Dropbox-API-Arg", ascii(arg));
        if let Some(r) = range {
            req = req.header("Range", r);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap().to_vec();
        let text = String::from_utf8_lossy(&bytes).to_string();
        (
            Reply {
                status,
                headers,
                text,
            },
            bytes,
        )
    }
}

impl TestSandbox {
    /// A POST to `/2/{route}` with the default token and exactly these headers and body (for
    /// requests no SDK would send).
    pub async fn post_raw(&self, route: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        self.post_raw_as(&self.token, route, headers, body).await
    }

    /// [`TestSandbox::post_raw`] with another token.
    pub async fn post_raw_as(
        &self,
        token: &str,
        route: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut request = self
            .http
            .post(self.url(&format!("/2/{route}")))
            .bearer_auth(token)
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.unwrap()).await
    }

    /// `files/download` with another token; returns the reply (the body as text).
    pub async fn download_as(&self, token: &str, arg: Value) -> Reply {
        let resp = self
            .http
            .post(self.url("/2/files/download"))
            .bearer_auth(token)
            .header("Dropbox-API-Arg", ascii(&arg))
            .send()
            .await
            .unwrap();
        reply(resp).await
    }
}

/// Decodes a result with the official Rust SDK's Stone types: a shape it cannot read fails the test.
pub fn sdk<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    // From text: the SDK's deserializers borrow their keys.
    serde_json::from_str(&v.to_string()).unwrap_or_else(|e| {
        panic!(
            "the SDK cannot read this as {}: {e}\n{v:#}",
            std::any::type_name::<T>()
        )
    })
}

/// An argument built with the SDK's Stone types, as a client using the SDK sends it.
pub fn sdk_arg<T: serde::Serialize>(arg: &T) -> Value {
    serde_json::to_value(arg).expect("SDK types serialize")
}

/// Decodes the `error` of a 409 with the SDK's error type for the route.
pub fn sdk_error<T: serde::de::DeserializeOwned>(r: &Reply) -> T {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    sdk(&r.json()["error"])
}

/// JSON with non-ASCII escaped as `\uXXXX`, as SDKs send `Dropbox-API-Arg`.
pub fn ascii(v: &Value) -> String {
    let mut out = String::new();
    for ch in v.to_string().chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut buf = [0u16; 2];
            for u in ch.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// The `path_display` of each entry of a listing, in order.
pub fn listed_paths(listing: &Value) -> Vec<String> {
    let entries = listing["entries"].as_array().expect("entries");
    let paths = entries.iter().map(|e| e["path_display"].as_str());
    paths.map(|p| p.expect("a path").to_string()).collect()
}

/// Asserts a 409 with the given `error_summary` prefix (before the `/..` suffix).
pub fn assert_route_error(r: &Reply, summary: &str) {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let v = r.json();
    let got = v["error_summary"].as_str().unwrap();
    assert!(got.starts_with(summary), "expected {summary}, got {got}");
    assert!(
        v["error"][".tag"].is_string(),
        "error union missing: {}",
        r.text
    );
}
