//! A File upload field: each chosen file is streamed to Wharf at once (`POST
//! /forms/{id}/uploads/{field}`, the raw file as the body) and comes back as a receipt; the form is
//! submitted with the receipts' tokens, which the server attaches to the submission. Files go with
//! `XMLHttpRequest` rather than fetch, which reports no upload progress: each row shows a progress
//! bar, bytes and percent, and Cancel aborts the transfer.
use crate::components::icons::{Icon, file_icon};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use wharf_types::forms::{UploadReceipt, human_size};

/// One file of the field, under its own key (two files may share a name): being sent (with the
/// bytes sent so far), sent (with its receipt), refused (with the reason) or cancelled.
#[derive(Clone, Debug)]
pub struct Upload {
    pub key: u64,
    pub name: String,
    pub state: UploadState,
}

#[derive(Clone, Debug)]
pub enum UploadState {
    Sending {
        size: u64,
        sent: RwSignal<u64>,
    },
    Sent(UploadReceipt),
    Failed {
        reason: String,
    },
    /// The person cancelled it: it is not submitted.
    Cancelled,
}

impl UploadState {
    /// Which of the states, for re-rendering a row when its state changes.
    fn label(&self) -> &'static str {
        match self {
            UploadState::Sending { .. } => "sending",
            UploadState::Sent(_) => "sent",
            UploadState::Failed { .. } => "failed",
            UploadState::Cancelled => "cancelled",
        }
    }
}

/// A key no other upload on this page has.
fn next_key() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// The requests still sending, by upload key, so Cancel (and leaving the page) can abort them.
    /// Only the browser sends, and it has one thread.
    static IN_FLIGHT: RefCell<BTreeMap<u64, web_sys::XmlHttpRequest>> = const { RefCell::new(BTreeMap::new()) };
}

/// Stops upload `key`'s request, if it is still sending.
fn abort(key: u64) {
    if let Some(request) = IN_FLIGHT.with(|f| f.borrow_mut().remove(&key)) {
        let _ = request.abort();
    }
}

/// "12.5 MB of 200 MB · 6 %".
fn progress_text(sent: u64, size: u64) -> String {
    format!(
        "{} of {} · {} %",
        human_size(sent),
        human_size(size),
        percent(sent, size)
    )
}

/// A whole percent, never past 100; an empty file is sent at once.
fn percent(sent: u64, size: u64) -> u64 {
    (sent.min(size) * 100).checked_div(size).unwrap_or(100)
}

#[component]
pub fn UploadField(
    form_id: i32,
    field: String,
    id: String,
    disabled: bool,
    uploads: RwSignal<Vec<Upload>>,
) -> impl IntoView {
    // The progress signals belong to the field (event handlers run outside any owner).
    let owner = Owner::current();
    let set_state = move |key: u64, state: UploadState| {
        // try_: the form may have been left meanwhile. The row may have been removed: then the
        // answer is dropped.
        uploads.try_update(|u| {
            if let Some(slot) = u.iter_mut().find(|x| x.key == key) {
                slot.state = state;
            }
        });
    };
    let on_change = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else { return };
        for i in 0..files.length() {
            let Some(file) = files.item(i) else { continue };
            let name = file.name();
            let size = file.size() as u64;
            let key = next_key();
            let sent = match &owner {
                Some(o) => o.with(|| RwSignal::new(0)),
                None => RwSignal::new(0),
            };
            uploads.update(|u| {
                u.push(Upload {
                    key,
                    name: name.clone(),
                    state: UploadState::Sending { size, sent },
                })
            });
            let url = crate::urls::upload(form_id, &field, &name);
            leptos::task::spawn_local(async move {
                let outcome = send(key, &url, &file, sent).await;
                // A cancelled upload stays cancelled, whatever its request answered.
                let cancelled = uploads
                    .try_with_untracked(|u| {
                        u.iter()
                            .any(|x| x.key == key && matches!(x.state, UploadState::Cancelled))
                    })
                    .unwrap_or(true);
                if !cancelled {
                    set_state(
                        key,
                        match outcome {
                            Ok(receipt) => UploadState::Sent(receipt),
                            Err(reason) => UploadState::Failed { reason },
                        },
                    );
                }
            });
        }
        // The same file can be chosen again after removing it.
        input.set_value("");
    };
    on_cleanup(move || {
        // Leaving the form stops what is still sending.
        let keys = uploads
            .try_with_untracked(|u| u.iter().map(|x| x.key).collect::<Vec<_>>())
            .unwrap_or_default();
        keys.into_iter().for_each(abort);
    });
    view! {
        <input id=id type="file" multiple disabled=disabled on:change=on_change/>
        <ul class="uploads" data-testid="uploads">
            <For each=move || uploads.get() key=|u| (u.key, u.state.label()) let(u)>
                {
                    let key = u.key;
                    let name = u.name.clone();
                    let remove = move |_| {
                        abort(key);
                        uploads.update(|all| all.retain(|x| x.key != key));
                    };
                    let (status, class) = match &u.state {
                        UploadState::Sending { size, sent } => {
                            let size = *size;
                            let sent = *sent;
                            (view! {
                                <progress class="upload-progress" max="100" aria-label=format!("Sending {name}")
                                    value=move || percent(sent.get(), size)></progress>
                                <span class="muted upload-bytes" data-testid="upload-progress">{move || progress_text(sent.get(), size)}</span>
                                <button type="button" class="button subtle" aria-label=format!("Cancel {name}")
                                    on:click=move |_| {
                                        abort(key);
                                        set_state(key, UploadState::Cancelled);
                                    }>"Cancel"</button>
                            }.into_any(), "sending")
                        }
                        // The bar stays, full: every file of the field shows how far it got.
                        UploadState::Sent(r) => (view! {
                            <progress class="upload-progress" max="100" value="100" aria-label=format!("Sent {name}")></progress>
                            <span class="muted upload-bytes" data-testid="upload-progress">{format!("{} · 100 % · sent", human_size(r.size))}</span>
                        }.into_any(), "sent"),
                        UploadState::Failed { reason } => (view! { <span class="form-error">{reason.clone()}</span> }.into_any(), "failed"),
                        UploadState::Cancelled => (view! { <span class="muted">"Cancelled"</span> }.into_any(), "cancelled"),
                    };
                    let sending = class == "sending";
                    view! {
                        <li class=format!("upload {class}") data-name=u.name.clone() data-state=class>
                            <Icon name=file_icon(&u.name, false)/>
                            <span class="upload-name">{u.name.clone()}</span>
                            {status}
                            {(!sending).then(|| view! {
                                <button type="button" class="button subtle" aria-label=format!("Remove {}", u.name)
                                    on:click=remove>"Remove"</button>
                            })}
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// Sends one file as the request body, reporting the bytes sent into `sent`; the receipt, or the
/// server's sentence.
async fn send(
    key: u64,
    url: &str,
    file: &web_sys::File,
    sent: RwSignal<u64>,
) -> Result<UploadReceipt, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen_futures::JsFuture;
    let failed = || "The file could not be sent. Check your connection and try again.".to_owned();
    let request = web_sys::XmlHttpRequest::new().map_err(|_| failed())?;
    request.open("POST", url).map_err(|_| failed())?;
    let kind = file.type_();
    let _ = request.set_request_header(
        "Content-Type",
        if kind.is_empty() {
            "application/octet-stream"
        } else {
            &kind
        },
    );
    let _ = request.set_request_header("Accept", "application/json");
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            // try_: the form may be gone; the request is aborted then.
            sent.try_set(e.loaded() as u64);
        });
    if let Ok(upload) = request.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    // Settles once the request ends, however it ends (answered, failed, aborted).
    let ended = js_sys::Promise::new(&mut |resolve, _reject| {
        request.set_onloadend(Some(&resolve));
    });
    IN_FLIGHT.with(|f| f.borrow_mut().insert(key, request.clone()));
    let sending = request.send_with_opt_blob(Some(file));
    if sending.is_ok() {
        let _ = JsFuture::from(ended).await;
    }
    IN_FLIGHT.with(|f| f.borrow_mut().remove(&key));
    drop(on_progress);
    sending.map_err(|_| failed())?;
    // 0: no answer (the connection failed, or the request was aborted).
    let status = request.status().map_err(|_| failed())?;
    let text = request.response_text().ok().flatten().unwrap_or_default();
    if (200..300).contains(&status) {
        sent.try_set(file.size() as u64);
        serde_json::from_str(&text).map_err(|_| failed())
    } else if status == 0 {
        Err(failed())
    } else {
        // Every refusal is an AppError, from this route as from any other.
        Err(serde_json::from_str::<crate::error::AppError>(&text)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| failed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_bytes_and_a_whole_percent() {
        assert_eq!(percent(0, 0), 100, "an empty file is sent at once");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100, "never past the end");
        assert_eq!(
            progress_text(100 * 1024 * 1024, 200 * 1024 * 1024),
            format!(
                "{} of {} · 50 %",
                human_size(100 * 1024 * 1024),
                human_size(200 * 1024 * 1024)
            )
        );
    }
}
