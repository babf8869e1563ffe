//! A modal question with OK / Cancel, for actions that cannot be undone.
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

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
    let cancel = move || open.set(false);
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            cancel();
        }
    };
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| cancel()></div>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" on:keydown=on_keydown>
                <h2 id="confirm-title">{move || title.get()}</h2>
                <p>{move || message.get()}</p>
                <div class="modal-actions">
                    <button class="button" on:click=move |_| cancel()>"Cancel"</button>
                    <button
                        class="button danger"
                        autofocus
                        on:click=move |_| {
                            open.set(false);
                            on_confirm.run(());
                        }
                    >
                        {confirm_label.clone()}
                    </button>
                </div>
            </div>
        </Show>
    }
}
