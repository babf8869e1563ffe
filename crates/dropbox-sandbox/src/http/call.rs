//! What every `/2/` call needs: the caller (bearer token + `Dropbox-API-Path-Root`), the argument (RPC body
//! or `Dropbox-API-Arg`), typed field access with Dropbox-style 400 messages, and path resolution.

use crate::paths::{self, PathArg, PathError, PathKind, lower};
use crate::state::Sandbox;
use crate::state::auth::{Account, token_id};
use crate::state::mounts::{Located, Mount, View};
use crate::state::tree::{OpError, Tree};
use crate::wire::{ApiError, nest, tag};
use axum::body::Body;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Filled in by authentication so the request log can name the token and account.
#[derive(Clone, Default)]
pub struct LogSlot(pub Arc<Mutex<(Option<String>, Option<String>)>>);

/// The authenticated caller and the namespace its paths address.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account: Account,
    pub grant_id: String,
    /// Namespace selected by `Dropbox-API-Path-Root` (home by default).
    pub nsid: String,
    /// Every namespace the account may address.
    pub nsids: Vec<String>,
    /// Scopes of the token.
    pub scopes: Vec<String>,
}

impl Caller {
    /// `401 missing_scope` unless the token has `scope`.
    pub fn require(&self, scope: Option<&'static str>) -> Result<(), ApiError> {
        match scope {
            Some(s) if !self.scopes.iter().any(|t| t == s) => Err(ApiError::MissingScope(s)),
            _ => Ok(()),
        }
    }
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let q = query?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => std::str::from_utf8(v.as_bytes()).map(Some).map_err(|_| {
            ApiError::bad_request(format!("HTTP header \"{name}\" is not valid UTF-8."))
        }),
    }
}

/// The bearer token of a request, if it has a well-formed one.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// Authenticates a user-auth call and selects its namespace.
pub fn authenticate(
    sb: &Sandbox,
    headers: &HeaderMap,
    query: Option<&str>,
    slot: &LogSlot,
) -> Result<Caller, ApiError> {
    let raw = match header_str(headers, "authorization")? {
        Some(v) => v.to_string(),
        None => query_param(query, "authorization").ok_or_else(|| {
            ApiError::bad_request(
                "Must provide HTTP header \"Authorization\" or URL parameter \"authorization\".",
            )
        })?,
    };
    let token = match raw.strip_prefix("Bearer ") {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "Invalid authorization value in HTTP header \"Authorization\": \"{raw}\".  Expecting \"Bearer <oauth2-access-token>\"."
            )));
        }
    };
    let well_formed = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b));
    if !well_formed {
        return Err(ApiError::bad_request(
            "The given OAuth 2 access token is malformed.",
        ));
    }
    let state = sb.read();
    let info = state.auth.check(&token).map_err(ApiError::Auth)?;
    let account = state
        .auth
        .accounts
        .get(&info.account_id)
        .cloned()
        .ok_or(ApiError::Auth("invalid_access_token"))?;
    drop(state);
    {
        let mut s = slot.0.lock().unwrap_or_else(|e| e.into_inner());
        *s = (Some(token_id(&token)), Some(account.account_id.clone()));
    }
    let nsid = path_root(headers, &account)?;
    Ok(Caller {
        nsids: account.namespaces(),
        grant_id: info.grant_id,
        scopes: info.scopes,
        nsid,
        account,
    })
}

/// `users.RootInfo` of an account.
pub fn root_info(a: &Account) -> Value {
    if a.team.is_some() {
        json!({".tag": "team", "root_namespace_id": a.root_nsid, "home_namespace_id": a.home_nsid, "home_path": a.home_path()})
    } else {
        json!({".tag": "user", "root_namespace_id": a.root_nsid, "home_namespace_id": a.home_nsid})
    }
}

fn path_root(headers: &HeaderMap, a: &Account) -> Result<String, ApiError> {
    let Some(raw) = header_str(headers, "dropbox-api-path-root")? else {
        return Ok(a.home_nsid.clone());
    };
    let bad = || {
        ApiError::bad_request(format!(
            "Invalid value for HTTP header \"Dropbox-API-Path-Root\": \"{raw}\". Expecting a JSON-serialized PathRoot."
        ))
    };
    let v: Value = serde_json::from_str(raw).map_err(|_| bad())?;
    match v.get(".tag").and_then(Value::as_str) {
        Some("home") => Ok(a.home_nsid.clone()),
        Some("root") => {
            let ns = v.get("root").and_then(Value::as_str).ok_or_else(bad)?;
            if ns == a.root_nsid {
                Ok(ns.to_string())
            } else {
                Err(ApiError::PathRoot(nest("invalid_root", root_info(a))))
            }
        }
        Some("namespace_id") => {
            let ns = v
                .get("namespace_id")
                .and_then(Value::as_str)
                .ok_or_else(bad)?;
            if a.namespaces().iter().any(|n| n == ns) {
                Ok(ns.to_string())
            } else {
                Err(ApiError::PathRoot(tag("no_permission")))
            }
        }
        _ => Err(bad()),
    }
}

const JSON_TYPES: [&str; 3] = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain; charset=dropbox-cors-hack",
];

/// The argument of a call, with the context its 400 messages start with.
pub struct Args {
    v: Value,
    ctx: &'static str,
}

impl Args {
    /// Reads an RPC body. `void` routes take an empty body or `null`.
    pub async fn from_rpc(headers: &HeaderMap, body: Body, void: bool) -> Result<Args, ApiError> {
        let bytes = axum::body::to_bytes(body, 8 * 1024 * 1024)
            .await
            .map_err(|_| ApiError::bad_request("request body: too large or unreadable"))?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        if void && empty {
            return Ok(Args {
                v: Value::Null,
                ctx: "request body",
            });
        }
        let ct = header_str(headers, "content-type")?.unwrap_or("");
        if !JSON_TYPES.iter().any(|t| t.eq_ignore_ascii_case(ct.trim())) {
            return Err(ApiError::bad_request(format!(
                "Bad HTTP \"Content-Type\" header: \"{ct}\".  Expecting one of \"application/json\", \"application/json; charset=utf-8\", \"text/plain; charset=dropbox-cors-hack\"."
            )));
        }
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|_| ApiError::bad_request("request body: could not decode input as JSON"))?;
        Self::checked(v, void, "request body")
    }

    /// Reads `Dropbox-API-Arg` (or the `arg` URL parameter) of an upload or download call.
    pub fn from_header(
        headers: &HeaderMap,
        query: Option<&str>,
        void: bool,
    ) -> Result<Args, ApiError> {
        const CTX: &str = "HTTP header \"Dropbox-API-Arg\"";
        let raw = match header_str(headers, "dropbox-api-arg")? {
            Some(v) => v.to_string(),
            None => match query_param(query, "arg") {
                Some(v) => v,
                None if void => {
                    return Ok(Args {
                        v: Value::Null,
                        ctx: CTX,
                    });
                }
                None => {
                    return Err(ApiError::bad_request(
                        "Must provide HTTP header \"Dropbox-API-Arg\" or URL parameter \"arg\".",
                    ));
                }
            },
        };
        let v: Value = serde_json::from_str(&raw)
            .map_err(|_| ApiError::bad_request(format!("{CTX}: could not decode input as JSON")))?;
        Self::checked(v, void, CTX)
    }

    fn checked(v: Value, void: bool, ctx: &'static str) -> Result<Args, ApiError> {
        match (&v, void) {
            (Value::Null, true) | (Value::Object(_), false) => Ok(Args { v, ctx }),
            (_, true) => Err(ApiError::bad_request(format!(
                "{ctx}: expected null, got value"
            ))),
            (_, false) => Err(ApiError::bad_request(format!(
                "{ctx}: expected object, got {}",
                kind(&v)
            ))),
        }
    }

    /// A 400 about field `name`, in the words Dropbox uses (`request body: name: msg`).
    pub fn field_err(&self, name: &str, msg: impl std::fmt::Display) -> ApiError {
        ApiError::bad_request(format!("{}: {name}: {msg}", self.ctx))
    }

    /// A required list of structs (at most `max` of them), each as its own `Args`.
    pub fn list(&self, name: &str, max: usize) -> Result<Vec<Args>, ApiError> {
        let items = match self.get(name) {
            None => return Err(self.missing(name)),
            Some(Value::Array(items)) => items,
            Some(v) => return Err(self.field_err(name, format!("expected list, got {}", kind(v)))),
        };
        if items.len() > max {
            return Err(self.field_err(name, format!("list has more than {max} items")));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(_) => Ok(Args {
                    v: v.clone(),
                    ctx: self.ctx,
                }),
                v => Err(self.field_err(
                    &format!("{name}[{i}]"),
                    format!("expected object, got {}", kind(v)),
                )),
            })
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.v.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Result<String, ApiError> {
        self.opt_str(name)?.ok_or_else(|| self.missing(name))
    }

    /// The 400 for a required field that is absent.
    pub fn missing(&self, name: &str) -> ApiError {
        ApiError::bad_request(format!("{}: missing required field '{name}'", self.ctx))
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.field_err(name, format!("expected string, got {}", kind(v)))),
        }
    }

    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.field_err(name, format!("expected boolean, got {}", kind(v)))),
        }
    }

    /// An unsigned integer within `[min, max]`.
    pub fn u64(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => {
                let n = v.as_u64().ok_or_else(|| {
                    self.field_err(name, format!("expected integer, got {}", kind(v)))
                })?;
                if n < min || n > max {
                    return Err(
                        self.field_err(name, format!("{n} is not within range [{min}, {max}]"))
                    );
                }
                Ok(Some(n))
            }
        }
    }

    /// A union field: its tag and the whole value (`"add"` or `{".tag": "update", "update": …}`).
    pub fn union(&self, name: &str) -> Result<Option<(String, Value)>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(t)) => Ok(Some((t.clone(), Value::Null))),
            Some(v @ Value::Object(_)) => match v.get(".tag").and_then(Value::as_str) {
                Some(t) => Ok(Some((t.to_string(), v.clone()))),
                None => Err(self.field_err(name, "missing '.tag' key")),
            },
            Some(v) => Err(self.field_err(name, format!("expected union, got {}", kind(v)))),
        }
    }

    /// A nested struct field as its own `Args`.
    pub fn sub(&self, name: &str) -> Result<Option<Args>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(Args {
                v: v.clone(),
                ctx: self.ctx,
            })),
            Some(v) => Err(self.field_err(name, format!("expected object, got {}", kind(v)))),
        }
    }

    /// A path field of `kind`; a structurally malformed path becomes the route error `malformed(...)`.
    pub fn path(
        &self,
        name: &str,
        kind: PathKind,
        malformed: impl FnOnce(Value) -> ApiError,
    ) -> Result<PathArg, ApiError> {
        let raw = self.str(name)?;
        match paths::parse(&raw, kind, name) {
            Ok(p) => Ok(p),
            Err(PathError::Pattern(msg)) => {
                Err(ApiError::bad_request(format!("{}: {msg}", self.ctx)))
            }
            Err(PathError::Malformed) => Err(malformed(tag("malformed_path"))),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// A path resolved to a namespace.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub nsid: String,
    /// Path inside `nsid` as the client wrote it (or as stored, for ids).
    pub path: String,
    pub key: String,
    /// The path named the mount point of a member folder in the team space (the root of `nsid`).
    pub mount_point: Option<Mount>,
}

impl Resolved {
    /// Can an entry be written at this path? Not at a namespace's root, nor over a mount point.
    pub fn writable(&self) -> Result<(), OpError> {
        if self.mount_point.is_some() {
            Err(OpError::Conflict("folder"))
        } else if self.key.is_empty() {
            Err(OpError::Malformed)
        } else {
            Ok(())
        }
    }
}

impl Caller {
    /// How this caller sees the tree: from the namespace its `Dropbox-API-Path-Root` selects, with its
    /// own member folder mounted in a team space.
    pub fn view(&self) -> View<'_> {
        View {
            from: &self.nsid,
            visible: &self.nsids,
        }
    }

    /// Metadata of an entry of `nsid` as this caller sees it.
    pub fn present(&self, tree: &Tree, nsid: &str, meta: Value) -> Value {
        tree.present(self.view(), nsid, meta)
    }
}

/// Resolves a path argument for `caller`, through the team space's mounts; `rev:` paths are not resolved
/// here.
pub fn resolve(sb: &Sandbox, c: &Caller, arg: &PathArg) -> Result<Resolved, OpError> {
    let state = sb.read();
    let tree = &state.tree;
    let located = match arg {
        PathArg::Path(p) => tree.locate(c.view(), p),
        PathArg::Id(id, sub) => match tree.visible_mounts(c.view()).find(|m| m.id == *id) {
            Some(m) => Located {
                nsid: m.nsid.clone(),
                path: sub.clone(),
                mount_point: sub.is_empty().then(|| m.clone()),
            },
            None => {
                let (ns, display) = tree.find_id(&c.nsids, id).ok_or(OpError::NotFound)?;
                Located {
                    nsid: ns,
                    path: format!("{display}{sub}"),
                    mount_point: None,
                }
            }
        },
        PathArg::Ns(ns, p) if c.nsids.contains(ns) => tree.locate(
            View {
                from: ns,
                visible: &c.nsids,
            },
            p,
        ),
        PathArg::Ns(..) => return Err(OpError::NotFound),
        PathArg::Rev(_) => return Err(OpError::Malformed),
    };
    Ok(Resolved {
        key: lower(&located.path),
        nsid: located.nsid,
        path: located.path,
        mount_point: located.mount_point,
    })
}

/// `files.LookupError` for a failed lookup.
pub fn lookup_err(e: &OpError) -> Value {
    match e {
        OpError::NotFound => tag("not_found"),
        OpError::NotFile => tag("not_file"),
        OpError::NotFolder => tag("not_folder"),
        OpError::Malformed => tag("malformed_path"),
        _ => tag("other"),
    }
}

/// `files.WriteError` for a failed write.
pub fn write_err(e: &OpError) -> Value {
    match e {
        OpError::Conflict(t) => nest("conflict", tag(t)),
        OpError::TeamFolder => tag("team_folder"),
        OpError::Malformed => tag("malformed_path"),
        OpError::InsufficientSpace => tag("insufficient_space"),
        OpError::NotFound | OpError::NotFile | OpError::NotFolder => tag("malformed_path"),
        _ => tag("other"),
    }
}
