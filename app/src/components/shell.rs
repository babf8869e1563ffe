//! The frame around every signed-in page: header with the user and sign-out, left navigation.
use crate::api::auth::{SignOut, get_current_user};
use crate::components::errors::error_panel;
use crate::components::icons::{Icon, IconName};
use crate::components::reload_at;
use crate::dto::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use wharf_types::Area;

/// Bumped after anything that changes who the user is or what they may do (a password change lifts
/// the forced-change lock); the shell refetches the current user when it changes.
#[derive(Clone, Copy)]
pub struct IdentityVersion(pub RwSignal<u32>);

pub type CurrentUserResource = Resource<Result<Option<CurrentUser>, AppError>>;

#[component]
pub fn Shell() -> impl IntoView {
    let version = IdentityVersion(RwSignal::new(0));
    provide_context(version);
    let user: CurrentUserResource = Resource::new(move || version.0.get(), |_| get_current_user());
    provide_context(user);

    view! {
        <div class="shell">
            <header class="topbar">
                <a class="brand" href="/">
                    <Icon name=IconName::Brand class="brand-mark"/>
                    "Wharf"
                </a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().map(|u| view! { <UserMenu user=u/> })
                    })}
                </Transition>
            </header>
            <div class="shell-body">
                <nav class="sidenav" aria-label="Main">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            user.await.ok().flatten().map(|u| view! { <NavItems user=u/> })
                        })}
                    </Transition>
                </nav>
                <main class="content" id="main">
                    <ErrorBoundary fallback=error_panel>
                        <Outlet/>
                    </ErrorBoundary>
                </main>
            </div>
        </div>
    }
}

#[component]
fn UserMenu(user: CurrentUser) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            reload_at("/sign-in");
        }
    });
    view! {
        <div class="user-menu">
            <span class="user-name" data-testid="signed-in-user" title=user.username.clone()>
                {user.display_name.clone()}
            </span>
            <Show when=move || !user.must_change_password>
                <A href="/change-password" attr:class="link">"Change password"</A>
            </Show>
            <ActionForm action=sign_out>
                <button type="submit" class="button subtle" disabled=move || sign_out.pending().get()>
                    "Sign out"
                </button>
            </ActionForm>
        </div>
    }
}

#[component]
fn NavItems(user: CurrentUser) -> impl IntoView {
    if user.must_change_password {
        // Nothing else is open until the password is changed; the server enforces the same.
        return view! { <p class="nav-note">"Choose a new password to continue."</p> }.into_any();
    }
    let link = |area: Area| {
        view! {
            <li>
                <A href=area.path() exact=true>
                    {area.label()}
                </A>
            </li>
        }
    };
    let general: Vec<_> = Area::ALL
        .into_iter()
        .filter(|a| !a.is_administration() && user.may_enter(*a))
        .map(link)
        .collect();
    let admin: Vec<_> = Area::ALL
        .into_iter()
        .filter(|a| a.is_administration() && user.may_enter(*a))
        .map(link)
        .collect();
    let has_admin = !admin.is_empty();
    view! {
        <ul class="nav-list">{general}</ul>
        <Show when=move || has_admin>
            <h2 class="nav-heading">"Administration"</h2>
        </Show>
        <ul class="nav-list">{admin}</ul>
    }
    .into_any()
}

/// Renders `children` only for users whose roles let them into `area`, and a clear refusal otherwise.
/// (The server refuses the area's server functions and answers the page with 403 on its own; this
/// keeps the page from showing a frame it cannot fill.)
#[component]
pub fn AreaGuard(area: Area, children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<CurrentUserResource>();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        let allowed = user.await.ok().flatten().is_some_and(|u| u.may_enter(area));
                        if allowed {
                            children().into_any()
                        } else {
                            view! {
                                <section class="page" data-testid="forbidden">
                                    <h1>"No access"</h1>
                                    <p>
                                        {format!("You do not have permission to use {}. ", area.label())}
                                        "Ask an administrator if you need it."
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                    })
                }
            }
        </Transition>
    }
}
