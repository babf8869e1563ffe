//! Short-lived notices in the corner of the screen ("Details saved successfully").
use leptos::prelude::*;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// Handle for showing toasts; available everywhere under `App`.
#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

const VISIBLE_FOR: Duration = Duration::from_secs(6);

impl Toasts {
    pub fn show(&self, kind: ToastKind, message: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| {
            items.push(Toast {
                id,
                kind,
                message: message.into(),
            })
        });
        let this = *self;
        set_timeout(move || this.dismiss(id), VISIBLE_FOR);
    }

    pub fn success(&self, message: impl Into<String>) {
        self.show(ToastKind::Success, message);
    }

    pub fn error(&self, message: impl Into<String>) {
        self.show(ToastKind::Error, message);
    }

    pub fn dismiss(&self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }
}

pub fn provide_toasts() {
    provide_context(Toasts {
        items: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    });
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Where toasts appear; a polite live region so screen readers announce them.
#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|t| t.id let:toast>
                <div class=format!(
                    "toast toast-{}",
                    match toast.kind {
                        ToastKind::Success => "success",
                        ToastKind::Error => "error",
                        ToastKind::Info => "info",
                    },
                )>
                    <span>{toast.message}</span>
                    <button class="toast-close" aria-label="Dismiss" on:click=move |_| toasts.dismiss(toast.id)>
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
