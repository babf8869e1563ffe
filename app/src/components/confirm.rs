//! The one modal dialog (backdrop, Escape and a click outside close it, named by its title), and a
//! question with Cancel / OK on top of it for actions that cannot be undone.
use crate::components::toast::use_toasts;
use crate::error::AppError;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// A dialog shown while `open` is true. `title_id` must be unique on the page: the dialog is named by
/// its heading for screen readers.
#[component]
pub fn Modal(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    title_id: &'static str,
    /// `wide` for dialogs with two columns of content (Security).
    #[prop(optional)]
    wide: bool,
    #[prop(optional)] testid: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let close = move || open.set(false);
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            close();
        }
    };
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| close()></div>
            <div class="modal" class:wide=wide role="dialog" aria-modal="true" aria-labelledby=title_id
                data-testid=(!testid.is_empty()).then_some(testid) on:keydown=on_keydown>
                <h2 id=title_id>{move || title.get()}</h2>
                {children.read_value()()}
            </div>
        </Show>
    }
}

#[component]
pub fn ConfirmDialog(
    /// Shown while true; the dialog sets it back to false when answered.
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] message: Signal<String>,
    #[prop(into, default = "OK".into())] confirm_label: String,
    /// Called after the person confirms.
    on_confirm: Callback<()>,
) -> impl IntoView {
    let confirm_label = StoredValue::new(confirm_label);
    view! {
        <Modal open title title_id="confirm-title">
            <p>{move || message.get()}</p>
            <div class="modal-actions">
                <button class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <button
                    class="button danger"
                    autofocus
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {confirm_label.get_value()}
                </button>
            </div>
        </Modal>
    }
}

/// The "Delete …" panel at the foot of an edit page: a danger button, the question, and on success a
/// toast and the way back to the list; a refusal is shown as a toast and the page stays.
#[component]
pub fn DeletePanel(
    /// "Delete user": the panel's heading, its button and the dialog's title.
    title: &'static str,
    /// What deleting takes with it, or what to do instead.
    explanation: &'static str,
    #[prop(into)] question: String,
    /// The toast after the delete ("User quinn deleted.").
    #[prop(into)]
    done: String,
    /// Where to go after the delete.
    then_go: &'static str,
    /// The delete action's last answer and whether it is on its way.
    answer: MappedSignal<Option<Result<(), AppError>>>,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let confirm_open = RwSignal::new(false);
    Effect::new(move |_| match answer.get() {
        Some(Ok(())) => {
            toasts.success(done.clone());
            navigate(then_go, Default::default());
        }
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });
    view! {
        <section class="panel" aria-labelledby="delete-title">
            <h2 id="delete-title">{title}</h2>
            <p class="muted">{explanation}</p>
            <button class="button danger" disabled=move || pending.get() on:click=move |_| confirm_open.set(true)>
                {title}
            </button>
            <ConfirmDialog open=confirm_open title=title message=question confirm_label="Delete" on_confirm/>
        </section>
    }
}
