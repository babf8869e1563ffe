//! Batch routes: `delete_batch`, `copy_batch_v2`, `move_batch_v2` and `upload_session/finish_batch`
//! launch an asynchronous job (`{".tag": "async_job_id", …}`) polled through their `check` route;
//! `upload_session/finish_batch_v2` commits synchronously. Every entry runs the same operation as its
//! single route (`delete_v2`, `copy_v2`/`move_v2`, `upload_session/finish`) and reports `success` or a
//! `failure` carrying that route's error union. Entries are parsed before any runs: a malformed argument
//! fails the whole call with a 400, a malformed path only its entry.

use super::call::{Args, Caller};
use super::files::{DeleteOp, RelocateOp};
use super::sessions::FinishEntry;
use crate::state::Sandbox;
use crate::state::jobs::JobKind;
use crate::wire::{ApiError, nest, tag};
use serde_json::{Map, Value, json};
use std::future::Future;
use std::sync::Arc;

const MAX_ENTRIES: usize = 1000;

/// Parses every entry: `Err` for a 400 anywhere, an entry's own route error kept as its failure.
fn parse_entries<T>(
    a: &Args,
    min: usize,
    parse: impl Fn(&Args) -> Result<T, ApiError>,
) -> Result<Vec<Result<T, Value>>, ApiError> {
    let entries = a.list("entries", MAX_ENTRIES)?;
    if entries.len() < min {
        return Err(a.field_err("entries", format!("list has fewer than {min} items")));
    }
    entries
        .iter()
        .map(|e| match parse(e) {
            Ok(t) => Ok(Ok(t)),
            Err(ApiError::Route(v)) => Ok(Err(v)),
            Err(e) => Err(e),
        })
        .collect()
}

/// The error union of a failed entry; anything but a route error is `other` (or the union's own name
/// for an internal failure).
fn failure_of(e: ApiError, internal: &str) -> Value {
    match e {
        ApiError::Route(v) => v,
        _ => tag(internal),
    }
}

/// How a `success` variant carries its value: a plain struct's fields sit next to `.tag`, a struct with
/// subtypes (`Metadata`) is nested under `success`, as Stone serializes them.
#[derive(Clone, Copy)]
enum Success {
    Inline,
    Nested,
}

fn result_entry(result: Result<Value, Value>, success: Success) -> Value {
    match (result, success) {
        (Ok(v), Success::Nested) => nest("success", v),
        (Ok(v), Success::Inline) => inline("success", v),
        (Err(e), _) => nest("failure", e),
    }
}

/// A union variant carrying a plain struct: `.tag` next to the struct's fields.
fn inline(tag: &str, v: Value) -> Value {
    match v {
        Value::Object(fields) => {
            let mut m = Map::new();
            m.insert(".tag".into(), json!(tag));
            m.extend(fields);
            Value::Object(m)
        }
        other => nest(tag, other),
    }
}

/// Registers a job, runs `work` in the background (after `async_job_delay`) and answers with its id.
fn launch<F>(sb: &Arc<Sandbox>, c: &Caller, kind: JobKind, work: F) -> Value
where
    F: Future<Output = Value> + Send + 'static,
{
    let id = sb.start_job(&c.account.account_id, kind);
    let (sb2, job) = (sb.clone(), id.clone());
    let delay = sb.config.async_job_delay;
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let result = work.await;
        sb2.complete_job(&job, result);
    });
    nest("async_job_id", json!(id))
}

/// `async.PollArg` → the job's status (`in_progress`, or `complete` with the result's fields), or
/// `invalid_async_job_id`.
pub fn check(sb: &Sandbox, c: &Caller, a: &Args, kind: JobKind) -> Result<Value, ApiError> {
    let id = a.str("async_job_id")?;
    if id.is_empty() {
        return Err(a.field_err("async_job_id", "length is smaller than 1"));
    }
    let job = sb
        .job(&id, &c.account.account_id, kind)
        .ok_or_else(|| ApiError::Route(tag("invalid_async_job_id")))?;
    Ok(match job.result {
        None => tag("in_progress"),
        Some(result) => inline("complete", result),
    })
}

pub fn delete_batch(sb: &Arc<Sandbox>, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let entries = parse_entries(a, 0, DeleteOp::parse)?;
    let (sb2, c2) = (sb.clone(), c.clone());
    Ok(launch(sb, c, JobKind::Delete, async move {
        let results: Vec<Value> = entries
            .into_iter()
            .map(|e| {
                let done = e.and_then(|op| {
                    op.run(&sb2, &c2)
                        .map(|m| json!({"metadata": m}))
                        .map_err(|e| failure_of(e, "other"))
                });
                result_entry(done, Success::Inline)
            })
            .collect();
        json!({"entries": results})
    }))
}

pub fn relocate_batch(
    sb: &Arc<Sandbox>,
    c: &Caller,
    a: &Args,
    copy: bool,
) -> Result<Value, ApiError> {
    let entries = parse_entries(a, 1, RelocateOp::parse)?;
    let autorename = a.bool("autorename", false)?;
    if !copy {
        a.bool("allow_ownership_transfer", false)?;
    }
    let kind = if copy { JobKind::Copy } else { JobKind::Move };
    let (sb2, c2) = (sb.clone(), c.clone());
    Ok(launch(sb, c, kind, async move {
        let results: Vec<Value> = entries
            .into_iter()
            .map(|e| {
                let done = e
                    .and_then(|op| {
                        op.run(&sb2, &c2, copy, autorename)
                            .map_err(|e| failure_of(e, "internal_error"))
                    })
                    .map_err(|e| match e.get(".tag").and_then(Value::as_str) {
                        Some("internal_error") => e,
                        _ => nest("relocation_error", e),
                    });
                result_entry(done, Success::Nested)
            })
            .collect();
        json!({"entries": results})
    }))
}

/// Commits every entry of a `finish_batch` in order; the `UploadSessionFinishBatchResult`.
async fn finish_all(sb: &Sandbox, c: &Caller, entries: Vec<Result<FinishEntry, Value>>) -> Value {
    let mut results = Vec::with_capacity(entries.len());
    for e in entries {
        let done = match e {
            Ok(entry) => entry.run(sb, c).await.map_err(|e| failure_of(e, "other")),
            Err(v) => Err(v),
        };
        results.push(result_entry(done, Success::Inline));
    }
    json!({"entries": results})
}

/// `upload_session/finish_batch_v2`: commits synchronously.
pub async fn finish_batch_v2(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let entries = parse_entries(a, 0, FinishEntry::parse)?;
    Ok(finish_all(sb, c, entries).await)
}

/// `upload_session/finish_batch`: commits in a job.
pub fn finish_batch(sb: &Arc<Sandbox>, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let entries = parse_entries(a, 0, FinishEntry::parse)?;
    let (sb2, c2) = (sb.clone(), c.clone());
    Ok(launch(sb, c, JobKind::FinishUpload, async move {
        finish_all(&sb2, &c2, entries).await
    }))
}
