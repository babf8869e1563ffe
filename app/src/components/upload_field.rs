//! A File upload field: each chosen file is streamed to Wharf at once (`POST
//! /forms/{id}/uploads/{field}`, the raw file as the body) and comes back as a receipt; the form is
//! submitted with the receipts' tokens, which the server attaches to the submission.
use leptos::prelude::*;
use wharf_types::forms::{UploadReceipt, human_size};

/// One file of the field: being sent, sent (with its receipt), or refused (with the reason).
#[derive(Clone, Debug)]
pub enum Upload {
    Sending { name: String, size: u64 },
    Sent(UploadReceipt),
    Failed { name: String, reason: String },
}

impl Upload {
    fn name(&self) -> &str {
        match self {
            Upload::Sending { name, .. } | Upload::Failed { name, .. } => name,
            Upload::Sent(r) => &r.name,
        }
    }
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
            uploads.update(|u| {
                u.push(Upload::Sending {
                    name: name.clone(),
                    size,
                })
            });
            let url = format!(
                "/forms/{form_id}/uploads/{field}?{}",
                serde_urlencoded::to_string([("name", name.as_str())]).unwrap_or_default()
            );
            leptos::task::spawn_local(async move {
                let outcome = send(&url, &file).await;
                // try_: the form may have been left while the file was sending.
                uploads.try_update(|u| {
                    if let Some(slot) = u
                        .iter_mut()
                        .find(|x| matches!(x, Upload::Sending { name: n, .. } if *n == name))
                    {
                        *slot = match outcome {
                            Ok(receipt) => Upload::Sent(receipt),
                            Err(reason) => Upload::Failed { name, reason },
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
            {move || uploads.get().into_iter().enumerate().map(|(n, u)| {
                let name = u.name().to_owned();
                let (state, class) = match &u {
                    Upload::Sending { size, .. } => (format!("{} · sending…", human_size(*size)), "sending"),
                    Upload::Sent(r) => (human_size(r.size), "sent"),
                    Upload::Failed { reason, .. } => (reason.clone(), "failed"),
                };
                view! {
                    <li class=format!("upload {class}") data-name=name.clone()>
                        <span>{name.clone()}</span>
                        <span class="muted">{format!(" {state} ")}</span>
                        <button type="button" class="button subtle" aria-label=format!("Remove {name}")
                            on:click=move |_| uploads.update(|all| { if n < all.len() { all.remove(n); } })>"Remove"</button>
                    </li>
                }
            }).collect_view()}
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
        // Refusals carry an AppError (JSON) or a plain sentence.
        Err(serde_json::from_str::<crate::error::AppError>(&text)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| {
                if text.trim().is_empty() {
                    failed()
                } else {
                    text
                }
            }))
    }
}
