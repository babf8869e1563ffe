//! Small pieces the data-source pages share: status badge, type label with icon.
use leptos::prelude::*;
use wharf_types::{DataSourceKind, DataSourceStatus};

#[component]
pub fn StatusBadge(status: DataSourceStatus) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", status.as_str()) data-status=status.as_str()>{status.label()}</span> }
}

/// The type of a data source with its icon; unknown stored kinds are shown as they are.
#[component]
pub fn KindLabel(kind: String) -> impl IntoView {
    let label = kind
        .parse::<DataSourceKind>()
        .map(|k| k.label().to_owned())
        .unwrap_or_else(|_| kind.clone());
    view! {
        <span class="kind">
            <KindIcon kind/>
            {label}
        </span>
    }
}

/// The mark of a data source's type (Dropbox's open box, drawn as four diamonds).
#[component]
pub fn KindIcon(kind: String) -> impl IntoView {
    let known = kind.parse::<DataSourceKind>().is_ok();
    known.then(|| {
        view! {
            <svg class="kind-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                <path fill="#0061fe" d="M6 2 0 5.8 6 9.6l6-3.8L6 2Zm12 0-6 3.8 6 3.8 6-3.8L18 2ZM0 13.4l6 3.8 6-3.8-6-3.8-6 3.8Zm18-3.8-6 3.8 6 3.8 6-3.8-6-3.8ZM6 18.5l6 3.8 6-3.8-6-3.8-6 3.8Z"/>
            </svg>
        }
    })
}
