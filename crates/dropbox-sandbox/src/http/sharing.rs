//! Shared links: `sharing/create_shared_link_with_settings`, `list_shared_links`,
//! `get_shared_link_metadata`, `revoke_shared_link` and `get_shared_link_file`, and the links themselves
//! served at `/scl/fi/…` and `/scl/fo/…` (a preview page with `dl=0`, the content with `dl=1` or `raw=1`).

use super::call::{Args, Caller, lookup_err, resolve};
use super::download::{mime_of, serve_file};
use super::files::{decode_cursor, encode_cursor};
use super::html::{esc, page};
use crate::paths::{self, PathArg, PathKind, is_within, lower};
use crate::state::auth::Account;
use crate::state::sharing::{Audience, LIST_PAGE, LinkSettings, SharedLink, parse_url};
use crate::state::tree::{Entry, FileRev};
use crate::state::{Sandbox, State};
use crate::util::{format_timestamp, now_secs, parse_timestamp};
use crate::wire::{ApiError, nest, route_err, tag, text};
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

fn settings_error(t: &str) -> ApiError {
    route_err("settings_error", tag(t))
}

/// `sharing.SharedLinkSettings` → what the link will allow; `None` when the call gave no settings.
fn parse_settings(c: &Caller, a: &Args) -> Result<Option<LinkSettings>, ApiError> {
    let Some(s) = a.sub("settings")? else {
        return Ok(None);
    };
    let fields = [
        "require_password",
        "link_password",
        "expires",
        "audience",
        "access",
        "requested_visibility",
        "allow_download",
    ];
    if !fields.iter().any(|f| s.get(f).is_some()) {
        return Err(settings_error("invalid_settings"));
    }
    let mut out = LinkSettings::public();
    let mut wants_password = s.bool("require_password", false)?;
    if let Some((t, _)) = s.union("requested_visibility")? {
        match t.as_str() {
            "public" => {}
            "team_only" => out.audience = Audience::Team,
            "password" => wants_password = true,
            other => {
                return Err(s.field_err("requested_visibility", format!("unknown tag '{other}'")));
            }
        }
    }
    if let Some((t, _)) = s.union("audience")? {
        out.audience = match t.as_str() {
            "public" => Audience::Public,
            "team" => Audience::Team,
            "no_one" | "members" => Audience::NoOne,
            "password" => {
                wants_password = true;
                Audience::Public
            }
            other => return Err(s.field_err("audience", format!("unknown tag '{other}'"))),
        };
    }
    if let Some((t, _)) = s.union("access")? {
        out.access = match t.as_str() {
            "viewer" | "max" | "default" => "viewer".into(),
            "editor" => "editor".into(),
            other => return Err(s.field_err("access", format!("unknown tag '{other}'"))),
        };
    }
    if let Some(raw) = s.opt_str("expires")? {
        let at = parse_timestamp(&raw).ok_or_else(|| {
            s.field_err(
                "expires",
                format!("'{raw}' is not a timestamp of format '%Y-%m-%dT%H:%M:%SZ'"),
            )
        })?;
        if at <= now_secs() {
            return Err(settings_error("invalid_settings"));
        }
        out.expires = Some(at);
    }
    out.allow_download = s.bool("allow_download", true)?;
    // A `link_password` counts only with `require_password` (or the `password` visibility).
    let password = s.opt_str("link_password")?;
    if wants_password {
        out.password = Some(password.ok_or_else(|| settings_error("invalid_settings"))?);
    }
    // Basic accounts can only make public links that never expire, as on Dropbox.
    let basic = c.account.account_type == crate::config::AccountType::Basic;
    let paid_only = out.password.is_some() || out.expires.is_some() || !out.allow_download;
    if (basic && paid_only) || (out.audience == Audience::Team && c.account.team.is_none()) {
        return Err(settings_error("not_authorized"));
    }
    Ok(Some(out))
}

/// `sharing.LinkPermissions` of a link, as `viewer_is_owner` or someone else sees it.
fn link_permissions(link: &SharedLink, owner: &Account, viewer_is_owner: bool) -> Value {
    let s = &link.settings;
    let paid = owner.account_type != crate::config::AccountType::Basic;
    let on_team = owner.team.is_some();
    let (resolved, requested) = match (s.audience, s.password.is_some()) {
        (Audience::Public, false) => ("public", Some("public")),
        (Audience::Public, true) => ("password", Some("password")),
        (Audience::Team, false) => ("team_only", Some("team_only")),
        (Audience::Team, true) => ("team_and_password", Some("password")),
        (Audience::NoOne, _) => ("no_one", None),
    };
    let policy = |p: &str, allowed: bool, why: &str| {
        let mut v = json!({"policy": tag(p), "resolved_policy": tag(p), "allowed": allowed});
        if !allowed {
            v["disallowed_reason"] = tag(why);
        }
        v
    };
    let option = |a: &str, allowed: bool, why: &str| {
        let mut v = json!({"audience": tag(a), "allowed": allowed});
        if !allowed {
            v["disallowed_reason"] = tag(why);
        }
        v
    };
    let mut v = json!({
        "resolved_visibility": tag(resolved),
        "can_revoke": viewer_is_owner,
        "effective_audience": tag(s.audience.tag()),
        "link_access_level": tag(&s.access),
        "visibility_policies": [
            policy("public", true, ""),
            policy("team_only", on_team, "user_not_on_team"),
            policy("password", paid, "user_account_type"),
        ],
        "can_set_expiry": viewer_is_owner && paid,
        "can_remove_expiry": viewer_is_owner && paid,
        "allow_download": s.allow_download,
        "can_allow_download": viewer_is_owner,
        "can_disallow_download": viewer_is_owner && paid,
        "allow_comments": true,
        "team_restricts_comments": false,
        "audience_options": [
            option("public", true, ""),
            option("team", on_team, "user_not_on_team"),
            option("no_one", true, ""),
        ],
        "can_set_password": viewer_is_owner && paid,
        "can_remove_password": viewer_is_owner && paid,
        "require_password": s.password.is_some(),
        "can_use_extended_sharing_controls": paid,
    });
    if let (Some(r), true) = (requested, viewer_is_owner) {
        v["requested_visibility"] = tag(r);
    }
    if !viewer_is_owner {
        v["revoke_failure_reason"] = tag("owner_only");
    }
    v
}

/// A link with its owner and the entry it points at now.
struct Found<'s> {
    link: &'s SharedLink,
    owner: &'s Account,
    nsid: String,
    entry: &'s Entry,
}

/// Looks a link's owner and entry up; `None` once the entry is gone.
fn found<'s>(state: &'s State, link: &'s SharedLink) -> Option<Found<'s>> {
    let owner = state.auth.accounts.get(&link.owner)?;
    let (nsid, path) = state.tree.find_id(&owner.namespaces(), &link.entry_id)?;
    let entry = state.tree.get(&nsid, &lower(&path))?;
    Some(Found {
        link,
        owner,
        nsid,
        entry,
    })
}

/// `sharing.SharedLinkMetadata` (`file` / `folder`) of `entry` reached through link `f`, as `c` sees it.
fn link_metadata(sb: &Sandbox, state: &State, f: &Found<'_>, entry: &Entry, c: &Caller) -> Value {
    let is_owner = f.owner.account_id == c.account.account_id;
    let mut v = json!({
        "url": f.link.url(&sb.public_base()),
        "id": entry.id(),
        "name": paths::name(entry.path_display()),
        "link_permissions": link_permissions(f.link, f.owner, is_owner),
    });
    if is_owner {
        let shown = state
            .tree
            .shown_path(c.view(), &f.nsid, entry.path_display());
        v["path_lower"] = json!(lower(&shown));
    }
    if let Some(at) = f.link.settings.expires {
        v["expires"] = json!(format_timestamp(at));
    }
    if let Some((team_id, team_name, member_id)) = &f.owner.team {
        let mut info = json!({
            "team_info": {"id": team_id, "name": team_name},
            "display_name": f.owner.display_name(),
        });
        if c.account.team.as_ref().is_some_and(|t| t.0 == *team_id) {
            info["member_id"] = json!(member_id);
        }
        v["team_member_info"] = info;
    }
    match entry {
        Entry::File(file) => {
            v["client_modified"] = json!(format_timestamp(file.client_modified));
            v["server_modified"] = json!(format_timestamp(file.server_modified));
            v["rev"] = json!(file.rev);
            v["size"] = json!(file.size);
            crate::state::tree::tagged("file", v)
        }
        Entry::Folder { .. } => crate::state::tree::tagged("folder", v),
    }
}

/// Where the entry a `ReadPath` names is: its namespace, key, and whether it is a team space's mount
/// point. A `rev:` path names the file that revision belongs to. Errors are `path` `LookupError`s.
fn entry_at(sb: &Sandbox, c: &Caller, p: &PathArg) -> Result<(String, String, bool), ApiError> {
    let not_found = || route_err("path", tag("not_found"));
    if let PathArg::Rev(rev) = p {
        let state = sb.read();
        let (_, f) = state
            .tree
            .find_rev_in(&c.nsids, rev)
            .ok_or_else(not_found)?;
        let (ns, path) = state.tree.find_id(&c.nsids, &f.id).ok_or_else(not_found)?;
        return Ok((ns, lower(&path), false));
    }
    let r = resolve(sb, c, p).map_err(|e| route_err("path", lookup_err(&e)))?;
    Ok((r.nsid, r.key, r.mount_point.is_some()))
}

pub fn create_shared_link_with_settings(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Read, |m| route_err("path", m))?;
    let settings = parse_settings(c, a)?;
    let (nsid, key) = match entry_at(sb, c, &p)? {
        (_, _, true) => return Err(ApiError::Route(tag("access_denied"))),
        (nsid, key, false) => (nsid, key),
    };
    let owner = c.account.account_id.clone();
    sb.update(|s| {
        let entry = s
            .tree
            .get(&nsid, &key)
            .cloned()
            .ok_or_else(|| route_err("path", tag("not_found")))?;
        if let Some(existing) = s.sharing.link_to(&owner, entry.id()) {
            let same = settings.as_ref().is_none_or(|w| *w == existing.settings);
            let found = found(s, existing).filter(|_| same);
            let err = match found {
                Some(f) => nest(
                    "shared_link_already_exists",
                    nest("metadata", link_metadata(sb, s, &f, f.entry, c)),
                ),
                None => tag("shared_link_already_exists"),
            };
            return Err(ApiError::Route(err));
        }
        let name = paths::name(entry.path_display()).to_string();
        let settings = settings.unwrap_or_else(LinkSettings::public);
        let link = s
            .sharing
            .create(&owner, entry.id(), entry.is_folder(), &name, settings);
        let f = found(s, &link).ok_or_else(|| route_err("path", tag("not_found")))?;
        Ok(link_metadata(sb, s, &f, f.entry, c))
    })
}

pub fn list_shared_links(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let path = match a.get("path") {
        Some(_) => Some(a.path("path", PathKind::Read, |m| route_err("path", m))?),
        None => None,
    };
    let cursor = a.opt_str("cursor")?;
    let direct_only = a.bool("direct_only", false)?;
    let after = match (&path, &cursor) {
        (None, Some(raw)) => {
            let v = decode_cursor(raw).ok_or_else(|| a.field_err("cursor", "Invalid cursor."))?;
            if v.get("a").and_then(Value::as_str) != Some(c.account.account_id.as_str()) {
                return Err(ApiError::Route(tag("reset")));
            }
            v.get("s").and_then(Value::as_u64).unwrap_or(0)
        }
        _ => 0,
    };
    let target = match &path {
        None => None,
        Some(p) => {
            let (nsid, key, mount_point) = entry_at(sb, c, p)?;
            if !mount_point && sb.read().tree.get(&nsid, &key).is_none() {
                return Err(route_err("path", tag("not_found")));
            }
            Some((nsid, key))
        }
    };
    let state = sb.read();
    let view = c.view();
    let mut mine: Vec<&SharedLink> = state
        .sharing
        .links
        .values()
        .filter(|l| l.owner == c.account.account_id && l.seq > after)
        .collect();
    mine.sort_by_key(|l| l.seq);
    let applies = |f: &Found<'_>| {
        let key = lower(f.entry.path_display());
        match &target {
            Some((ns, t)) => {
                f.nsid == *ns
                    && (key == *t || (!direct_only && f.link.is_folder && is_within(t, &key)))
            }
            // Without a path: every link the caller's root shows (a team space shows the member folder).
            None => {
                f.nsid == view.from || state.tree.visible_mounts(view).any(|m| m.nsid == f.nsid)
            }
        }
    };
    let matching: Vec<Found<'_>> = mine
        .into_iter()
        .filter_map(|l| found(&state, l))
        .filter(|f| applies(f))
        .collect();
    let page_len = if target.is_some() {
        matching.len()
    } else {
        matching.len().min(LIST_PAGE)
    };
    let links: Vec<Value> = matching[..page_len]
        .iter()
        .map(|f| link_metadata(sb, &state, f, f.entry, c))
        .collect();
    let has_more = matching.len() > page_len;
    let mut out = json!({"links": links, "has_more": has_more});
    if target.is_none() {
        let last = matching[..page_len]
            .last()
            .map(|f| f.link.seq)
            .unwrap_or(after);
        out["cursor"] = json!(encode_cursor(
            &json!({"a": c.account.account_id, "s": last})
        ));
    }
    Ok(out)
}

/// Why a link cannot be used by someone (`SharedLinkError` tags), for the API and for its page.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    NotFound,
    AccessDenied,
}

/// The link a URL names and the entry it (or, for a folder link, `sub` below it) points at, for a
/// caller who is `viewer` (`None`: someone not signed in) and gave `password`.
fn open_link<'s>(
    state: &'s State,
    url: &str,
    sub: Option<&str>,
    viewer: Option<&Account>,
    password: Option<&str>,
) -> Result<(Found<'s>, &'s Entry), Refusal> {
    let link = state.sharing.by_url(url).ok_or(Refusal::NotFound)?;
    let f = found(state, link).ok_or(Refusal::NotFound)?;
    let is_owner = viewer.is_some_and(|v| v.account_id == f.owner.account_id);
    if !is_owner {
        if link.expired(now_secs()) {
            return Err(Refusal::NotFound);
        }
        let same_team = viewer
            .and_then(|v| v.team.as_ref())
            .zip(f.owner.team.as_ref())
            .is_some_and(|(a, b)| a.0 == b.0);
        let allowed = match link.settings.audience {
            Audience::Public => true,
            Audience::Team => same_team,
            Audience::NoOne => false,
        };
        let password_ok = link
            .settings
            .password
            .as_ref()
            .is_none_or(|p| Some(p.as_str()) == password);
        if !allowed || !password_ok {
            return Err(Refusal::AccessDenied);
        }
    }
    let entry = match sub.filter(|s| !s.is_empty()) {
        None => f.entry,
        Some(sub) => {
            if !link.is_folder {
                return Err(Refusal::NotFound);
            }
            let rel = paths::normalize(sub).map_err(|_| Refusal::NotFound)?;
            let key = lower(&format!("{}{rel}", f.entry.path_display()));
            state.tree.get(&f.nsid, &key).ok_or(Refusal::NotFound)?
        }
    };
    Ok((f, entry))
}

fn refused(r: Refusal) -> ApiError {
    ApiError::Route(tag(match r {
        Refusal::NotFound => "shared_link_not_found",
        Refusal::AccessDenied => "shared_link_access_denied",
    }))
}

/// Opens the link `a` names (`sharing.GetSharedLinkMetadataArg`: url, path, link_password) as the
/// caller sees it.
fn open_for_caller<'s>(
    state: &'s State,
    c: &Caller,
    a: &Args,
) -> Result<(Found<'s>, &'s Entry), ApiError> {
    let url = a.str("url")?;
    let sub = a.opt_str("path")?;
    let password = a.opt_str("link_password")?;
    open_link(
        state,
        &url,
        sub.as_deref(),
        Some(&c.account),
        password.as_deref(),
    )
    .map_err(refused)
}

pub fn get_shared_link_metadata(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let state = sb.read();
    let (f, entry) = open_for_caller(&state, c, a)?;
    Ok(link_metadata(sb, &state, &f, entry, c))
}

pub fn revoke_shared_link(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let url = a.str("url")?;
    if parse_url(&url).is_none() {
        return Err(ApiError::Route(tag("shared_link_malformed")));
    }
    sb.update(|s| {
        let link = s
            .sharing
            .by_url(&url)
            .ok_or_else(|| ApiError::Route(tag("shared_link_not_found")))?;
        if link.owner != c.account.account_id {
            return Err(ApiError::Route(tag("shared_link_access_denied")));
        }
        let id = link.id.clone();
        s.sharing.links.remove(&id);
        Ok(Value::Null)
    })
}

/// `sharing/get_shared_link_file`: the content of a file link (or of a file below a folder link).
pub async fn get_shared_link_file(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (file, meta) = {
        let state = sb.read();
        let (f, entry) = open_for_caller(&state, c, a)?;
        let Entry::File(file) = entry else {
            return Err(ApiError::Route(tag("shared_link_is_directory")));
        };
        if !f.link.settings.allow_download && f.owner.account_id != c.account.account_id {
            return Err(refused(Refusal::AccessDenied));
        }
        (file.clone(), link_metadata(sb, &state, &f, entry, c))
    };
    serve_file(sb, &file, headers, Some(&meta), "application/octet-stream").await
}

/// The query of a link URL with some parameters replaced, for the links a page offers.
fn with_params(query: &[(String, String)], set: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        if !set.iter().any(|(s, _)| s == k) {
            ser.append_pair(k, v);
        }
    }
    for (k, v) in set {
        ser.append_pair(k, v);
    }
    format!("?{}", ser.finish())
}

fn file_page(name: &str, f: &FileRev, query: &[(String, String)]) -> Response {
    let body = format!(
        "<p>{} &middot; {} bytes</p><p><a id=\"download\" href=\"{}\">Download</a></p>",
        esc(name),
        f.size,
        esc(&with_params(query, &[("dl", "1")]))
    );
    page(StatusCode::OK, name, &body)
}

fn folder_page(state: &State, nsid: &str, folder: &Entry, query: &[(String, String)]) -> Response {
    let key = lower(folder.path_display());
    let base = folder.path_display().len();
    let items: String = state
        .tree
        .listing_keys(nsid, &key, false, false)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| state.tree.get(nsid, k))
        .map(|e| {
            let sub = e.path_display().get(base..).unwrap_or_default();
            let view = with_params(query, &[("path", sub), ("dl", "0")]);
            let mut li = format!(
                "<li><a href=\"{}\">{}</a>",
                esc(&view),
                esc(paths::name(sub))
            );
            if !e.is_folder() {
                let dl = with_params(query, &[("path", sub), ("dl", "1")]);
                li.push_str(&format!(" (<a href=\"{}\">download</a>)", esc(&dl)));
            }
            li + "</li>"
        })
        .collect();
    let name = paths::name(folder.path_display());
    page(StatusCode::OK, name, &format!("<ul>{items}</ul>"))
}

/// `GET /scl/{fi|fo}/{id}/{name}`: what opening a shared link in a browser (`dl=0`) or downloading it
/// (`dl=1`, `raw=1`) gives. Links with an audience other than `public` need a sign-in the sandbox does
/// not offer; a password comes as the `password` parameter.
pub async fn serve_link(
    AxState(sb): AxState<Arc<Sandbox>>,
    Path((kind, id, _)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query: Vec<(String, String)> = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let rlkey = param("rlkey").unwrap_or_default();
    let url = format!("/scl/{kind}/{id}/x?rlkey={rlkey}");
    let direct = param("dl").as_deref() == Some("1") || param("raw").as_deref() == Some("1");
    let served = {
        let state = sb.read();
        let opened = state
            .sharing
            .links
            .get(&id)
            .filter(|l| l.rlkey == rlkey && (kind == "fo") == l.is_folder)
            .ok_or(Refusal::NotFound)
            .and_then(|_| {
                open_link(
                    &state,
                    &url,
                    param("path").as_deref(),
                    None,
                    param("password").as_deref(),
                )
            });
        match opened {
            Err(Refusal::NotFound) => {
                let expired = state
                    .sharing
                    .links
                    .get(&id)
                    .is_some_and(|l| l.rlkey == rlkey && l.expired(now_secs()));
                return if expired {
                    page(StatusCode::GONE, "This link has expired", "")
                } else {
                    page(
                        StatusCode::NOT_FOUND,
                        "This item was deleted or the link is no longer available",
                        "",
                    )
                };
            }
            Err(Refusal::AccessDenied) => {
                let link = state.sharing.links.get(&id);
                let needs_password = link.is_some_and(|l| {
                    l.settings.audience == Audience::Public && l.settings.password.is_some()
                });
                return if needs_password {
                    let hidden: String = query
                        .iter()
                        .filter(|(k, _)| k != "password")
                        .map(|(k, v)| {
                            format!(
                                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                                esc(k),
                                esc(v)
                            )
                        })
                        .collect();
                    let form = format!(
                        "<form method=\"get\">{hidden}<label>Password <input type=\"password\" name=\"password\"></label> <button>Continue</button></form>"
                    );
                    page(
                        StatusCode::UNAUTHORIZED,
                        "This link is password protected",
                        &form,
                    )
                } else {
                    page(
                        StatusCode::FORBIDDEN,
                        "Sign in to view this link",
                        "<p>Only the people the link was made for can open it; the sandbox has no sign-in for links.</p>",
                    )
                };
            }
            Ok((f, entry)) => match entry {
                Entry::Folder { .. } if direct => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        "Downloading a folder as a .zip file is not supported by the Sandbox Dropbox."
                            .into(),
                    );
                }
                Entry::Folder { .. } => return folder_page(&state, &f.nsid, entry, &query),
                Entry::File(file) if !direct => {
                    return file_page(paths::name(&file.path_display), file, &query);
                }
                Entry::File(_) if !f.link.settings.allow_download => {
                    return page(
                        StatusCode::FORBIDDEN,
                        "The owner of this link turned off downloads",
                        "",
                    );
                }
                Entry::File(file) => file.clone(),
            },
        }
    };
    let name = paths::name(&served.path_display).to_string();
    let raw = param("raw").as_deref() == Some("1");
    let ct = if raw {
        mime_of(&name)
    } else {
        "application/binary"
    };
    let mut resp = match serve_file(&sb, &served, &headers, None, ct).await {
        Ok(r) => r,
        Err(e) => return e.into_response_for("shared_link"),
    };
    let disposition = format!(
        "{}; filename=\"{}\"",
        if raw { "inline" } else { "attachment" },
        name.replace(['"', '\\'], "_")
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .collect::<String>()
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
