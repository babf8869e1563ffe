//! A File upload field: each chosen file is streamed to Wharf at once (`POST
//! /forms/{id}/uploads/{field}`, the raw file as the body) and comes back as a receipt; the form is
//! submitted with the receipts' tokens, which the server attaches to the submission.
use crate::components::icons::{Icon, file_icon};
use leptos::prelude::*;
use wharf_types::forms::{UploadReceipt, human_size};

/// One file of the field, under its own key (two files may share a name): being sent, sent (with
/// its receipt), or refused (with the reason).
#[derive(Clone, Debug)]
pub struct Upload {
    pub key: u64,
    pub name: String,
    pub state: UploadState,
}

#[derive(Clone, Debug)]
pub enum UploadState {
    Sending { size: u64 },
    Sent(UploadReceipt),
    Failed { reason: String },
}

impl UploadState {
    /// Which of the three states, for re-rendering a row when its state changes.
    fn label(&self) -> &'static str {
        match self {
            UploadState::Sending { .. } => "sending",
            UploadState::Sent(_) => "sent",
            UploadState::Failed { .. } => "failed",
        }
    }
}

/// A key no other upload on this page has.
fn next_key() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[component]
pub fn UploadField(
    form_id: i32,
    field: String,
    id: String,
    disabled: bool,
    uploads: RwSignal<Vec<Upload>>,
) -> impl IntoView {
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
            uploads.update(|u| {
                u.push(Upload {
                    key,
                    name: name.clone(),
                    state: UploadState::Sending { size },
                })
            });
            let url = crate::urls::upload(form_id, &field, &name);
            leptos::task::spawn_local(async move {
                let outcome = send(&url, &file).await;
                // try_: the form may have been left while the file was sending.
                // The slot may have been removed meanwhile: then the answer is dropped.
                uploads.try_update(|u| {
                    if let Some(slot) = u.iter_mut().find(|x| x.key == key) {
                        slot.state = match outcome {
                            Ok(receipt) => UploadState::Sent(receipt),
                            Err(reason) => UploadState::Failed { reason },
                        };
                    }
                });
            });
        }
        // The same file can be chosen again after removing it.
        input.set_value("");
    };
    view! {
        <input id=id type="file" multiple disabled=disabled on:change=on_change/>
        <ul class="uploads" data-testid="uploads">
            <For each=move || uploads.get() key=|u| (u.key, u.state.label()) let(u)>
                {
                    let key = u.key;
                    let (state, class) = match &u.state {
                        UploadState::Sending { size } => (format!("{} · sending…", human_size(*size)), "sending"),
                        UploadState::Sent(r) => (human_size(r.size), "sent"),
                        UploadState::Failed { reason } => (reason.clone(), "failed"),
                    };
                    view! {
                        <li class=format!("upload {class}") data-name=u.name.clone() data-state=class>
                            <Icon name=file_icon(&u.name, false)/>
                            <span class="upload-name">{u.name.clone()}</span>
                            <span class="muted">{state}</span>
                            <button type="button" class="button subtle" aria-label=format!("Remove {}", u.name)
                                on:click=move |_| uploads.update(|all| all.retain(|x| x.key != key))>"Remove"</button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// Sends one file as the request body; the receipt, or the server's sentence.
async fn send(url: &str, file: &web_sys::File) -> Result<UploadReceipt, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = || "The file could not be sent. Check your connection and try again.".to_owned();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(file);
    let headers = web_sys::Headers::new().map_err(|_| failed())?;
    let kind = file.type_();
    let _ = headers.set(
        "Content-Type",
        if kind.is_empty() {
            "application/octet-stream"
        } else {
            &kind
        },
    );
    let _ = headers.set("Accept", "application/json");
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(failed)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| failed())?
        .dyn_into()
        .map_err(|_| failed())?;
    let text = JsFuture::from(response.text().map_err(|_| failed())?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| failed())
    } else {
        // Every refusal is an AppError, from this route as from any other.
        Err(serde_json::from_str::<crate::error::AppError>(&text)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| failed()))
    }
}
