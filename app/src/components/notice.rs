//! One set of notices: information, success, warning and error, each with its own colour and icon
//! (never colour alone), used for every message that stays on a page.
use crate::components::icons::{Icon, IconName};
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Success,
    Warning,
    Error,
}

impl NoticeKind {
    fn class(self) -> &'static str {
        match self {
            NoticeKind::Info => "notice info",
            NoticeKind::Success => "notice success",
            NoticeKind::Warning => "notice warning",
            NoticeKind::Error => "notice error",
        }
    }

    fn icon(self) -> IconName {
        match self {
            NoticeKind::Info => IconName::Info,
            NoticeKind::Success => IconName::CircleCheck,
            NoticeKind::Warning => IconName::TriangleAlert,
            NoticeKind::Error => IconName::CircleX,
        }
    }

    /// For a notice that appears while the person is on the page: errors and warnings interrupt a
    /// screen reader, the others wait their turn. Notices that come with the page need no role.
    fn live_role(self) -> &'static str {
        match self {
            NoticeKind::Info | NoticeKind::Success => "status",
            NoticeKind::Warning | NoticeKind::Error => "alert",
        }
    }
}

#[component]
pub fn Notice(
    kind: NoticeKind,
    /// It appears in answer to something the person did (announce it).
    #[prop(optional)]
    live: bool,
    #[prop(optional)] testid: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class=kind.class() role=live.then(|| kind.live_role()) data-testid=testid>
            <Icon name=kind.icon() class="notice-icon"/>
            <div class="notice-body">{children()}</div>
        </div>
    }
}
