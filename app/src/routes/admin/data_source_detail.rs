//! The Dropbox connector page: name, settings, status, Save, Security and Close.
use crate::api::data_sources::{
    AuthorizeDataSource, SaveDataSource, TestDataSource, get_data_source,
};
use crate::components::confirm::ConfirmDialog;
use crate::components::data_source_bits::StatusBadge;
use crate::components::errors::{FieldError, load_failed};
use crate::components::notice::{Notice, NoticeKind};
use crate::components::reload_at;
use crate::components::shell::AreaGuard;
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::dto::{ConnectionView, DataSourceView};
use crate::routes::admin::data_source_security::SecurityDialog;
use crate::routes::forms::runs::DataSourceRuleRuns;
use crate::routes::{require_id, use_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use wharf_types::forms::human_size;
use wharf_types::{Area, DataSourceStatus, DropboxSettings, DropboxSpace, SearchScope};

#[component]
pub fn NewDropboxPage() -> impl IntoView {
    view! { <AreaGuard area=Area::DataSources><ConnectorForm existing=None/></AreaGuard> }
}

#[component]
pub fn DataSourceDetailPage() -> impl IntoView {
    let id = use_id_param();
    // bumped after Test connection, so status and health are read again
    let refresh = RwSignal::new(0u32);
    provide_context(Refresh(refresh));
    let data_source = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| require_id(id, "There is no such data source.", get_data_source),
    );
    view! {
        <AreaGuard area=Area::DataSources>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data_source.await {
                        Ok(view) => view! { <ConnectorForm existing=Some(view)/> }.into_any(),
                        Err(e) => load_failed("Data source", e),
                    }
                })}
            </Transition>
        </AreaGuard>
    }
}

/// Asks the connector page to read its data source again.
#[derive(Clone, Copy)]
struct Refresh(RwSignal<u32>);

#[component]
fn ConnectorForm(existing: Option<DataSourceView>) -> impl IntoView {
    let save = ServerAction::<SaveDataSource>::new();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let dirty = RwSignal::new(false);
    let is_new = existing.is_none();
    let id = existing.as_ref().map(|v| v.row.id);
    let settings = existing
        .as_ref()
        .map(|v| v.settings.clone())
        .unwrap_or_default();
    let name = existing
        .as_ref()
        .and_then(|v| v.row.display_name.clone())
        .unwrap_or_default();
    let status = existing
        .as_ref()
        .map_or(DataSourceStatus::Incomplete, |v| v.row.status);

    let refresh = use_context::<Refresh>();
    {
        let navigate = navigate.clone();
        Effect::new(move |_| {
            if let Some(Ok(saved_id)) = save.value().get() {
                dirty.set(false);
                toasts.success("Details saved successfully");
                if is_new {
                    navigate(
                        &format!("/admin/data-sources/{saved_id}"),
                        Default::default(),
                    );
                } else if let Some(Refresh(refresh)) = refresh {
                    // saving a connected data source tests it again: show the new status
                    refresh.update(|v| *v += 1);
                }
            }
        });
    }
    let error = move || save.value().get().and_then(Result::err);
    let field_error =
        move |field: &'static str| Signal::derive(move || error().and_then(|e| e.for_field(field)));
    let form_error = move || error().and_then(|e| e.form_message());

    let discard_open = RwSignal::new(false);
    let security_open = RwSignal::new(false);
    let close = {
        let navigate = navigate.clone();
        Callback::new(move |()| navigate("/admin/data-sources", Default::default()))
    };
    let on_close = move |_| {
        if dirty.get_untracked() {
            discard_open.set(true)
        } else {
            close.run(())
        }
    };
    let title = if name.is_empty() {
        "New Dropbox data source".to_owned()
    } else {
        name.clone()
    };

    view! {
        <Title text=title.clone()/>
        <section class="page connector">
            <div class="page-header">
                <h1>{title}</h1>
                <div class="toolbar">
                    <StatusBadge status/>
                    <button class="button" on:click=move |_| security_open.set(true) disabled=is_new
                        title=if is_new { "Save the data source first" } else { "Who administers and who may use it" }>
                        "Security"
                    </button>
                    <button class="button" on:click=on_close>"Close"</button>
                </div>
            </div>
            {existing.as_ref().and_then(|v| v.status_message.clone()).map(|m| view! {
                <Notice kind=NoticeKind::Warning testid="status-message">{m}</Notice>
            })}
            <ActionForm action=save on:input=move |_| dirty.set(true) on:change=move |_| dirty.set(true)>
                {id.map(|id| view! { <input type="hidden" name="id" value=id/> })}
                <input type="hidden" name="kind" value="Dropbox"/>
                <div class="form-grid">
                    <div class="field">
                        <label for="display_name">"Display name"</label>
                        <input id="display_name" name="display_name" maxlength="100" value=name.clone() required
                            placeholder="e.g. Sales documents"/>
                        <FieldError message=field_error("display_name") id="display-name-error"/>
                    </div>
                    <SettingsFields settings field_error/>
                </div>
                <Show when=move || form_error().is_some()>
                    <p class="form-error" role="alert">{move || form_error().map(|e| e.to_string())}</p>
                </Show>
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save"</button>
                    <span class="muted">{move || if dirty.get() { "Unsaved changes" } else { "" }}</span>
                </div>
            </ActionForm>
            {existing.clone().map(|v| view! { <ConnectionPanel view=v dirty/> })}
            {existing.map(|v| view! { <HealthPanel view=v/> })}
            <ConfirmDialog
                open=discard_open
                title="Discard changes?"
                message="You have changes that are not saved. Close without saving them?"
                confirm_label="Discard changes"
                on_confirm=close
            />
            {id.map(|id| view! {
                <SecurityDialog id open=security_open on_saved=Callback::new(move |()| {
                    if let Some(Refresh(refresh)) = refresh {
                        refresh.update(|v| *v += 1);
                    }
                })/>
            })}
        </section>
    }
}

#[component]
fn SettingsFields(
    settings: DropboxSettings,
    field_error: impl Fn(&'static str) -> Signal<Option<String>> + Copy + 'static,
) -> impl IntoView {
    let scope = settings.search_scope;
    let space = settings.space;
    view! {
        <div class="field">
            <label for="root_folder">"Root folder"</label>
            <input id="root_folder" name="root_folder" value=settings.root_folder placeholder="/ (the whole space)"/>
            <p class="hint">"Everything this data source reads or writes stays inside this folder."</p>
            <FieldError message=field_error("root_folder") id="root-folder-error"/>
        </div>
        <div class="field">
            <label for="file_pattern">"File pattern"</label>
            <input id="file_pattern" name="file_pattern" value=settings.file_pattern placeholder="*.pdf;*.docx (empty: every file)" aria-describedby="file-pattern-hint"/>
            <p class="hint" id="file-pattern-hint">"Only files whose names match are listed, searched, offered or opened; folders always show."</p>
            <FieldError message=field_error("file_pattern") id="file-pattern-error"/>
        </div>
        <div class="field">
            <label for="search_scope">"Search in"</label>
            <select id="search_scope" name="search_scope" aria-describedby="search-scope-hint">
                <option value="AllSubfolders" selected=scope == SearchScope::AllSubfolders>"All subfolders"</option>
                <option value="TopFolderOnly" selected=scope == SearchScope::TopFolderOnly>"Top folder only"</option>
            </select>
            <p class="hint" id="search-scope-hint">"Every search of this data source looks in the folder it starts from and, unless “Top folder only”, in all the folders below it."</p>
        </div>
        <div class="field">
            <label for="space">"Space"</label>
            <select id="space" name="space">
                <option value="MyFiles" selected=space == DropboxSpace::MyFiles>"My files"</option>
                <option value="TeamSpace" selected=space == DropboxSpace::TeamSpace>"Team space (team accounts)"</option>
            </select>
        </div>
    }
}

#[component]
fn HealthPanel(view: DataSourceView) -> impl IntoView {
    let last_test = match view.last_test_at {
        Some(at) => view! { <Time at/> }.into_any(),
        None => "never".into_any(),
    };
    view! {
        <section class="panel" aria-labelledby="health-title">
            <h2 id="health-title">"Connection health"</h2>
            <dl class="facts">
                <dt>"Last test"</dt>
                <dd>{last_test}</dd>
                <dt>"Modified"</dt>
                <dd><Time at=view.row.modified_at.clone()/> " by " {view.row.modified_by.unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <h3>"Recent activity"</h3>
            <ul class="audit" data-testid="audit-trail">
                {view.audit.into_iter().map(|a| view! {
                    <li>
                        <span class="audit-when"><Time at=a.at.clone()/></span>
                        <span class="audit-who">{a.actor_name}</span>
                        <span class="audit-what">{a.detail}</span>
                    </li>
                }).collect_view()}
            </ul>
            <DataSourceRuleRuns data_source_id=view.row.id/>
        </section>
    }
}

/// Authorize / Re-authorize, who the data source is connected as, and Test connection.
#[component]
fn ConnectionPanel(view: DataSourceView, dirty: RwSignal<bool>) -> impl IntoView {
    let id = view.row.id;
    let authorize = ServerAction::<AuthorizeDataSource>::new();
    let test = ServerAction::<TestDataSource>::new();
    let toasts = use_toasts();
    let refresh = use_context::<Refresh>();
    let query = use_query_map();
    Effect::new(move |_| match authorize.value().get() {
        Some(Ok(url)) => reload_at(&url),
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| {
        match test.value().get() {
            Some(Ok(result)) if result.ok => toasts.success(result.message),
            Some(Ok(result)) => toasts.error(result.message),
            Some(Err(e)) => toasts.error(e.to_string()),
            None => return,
        }
        if let Some(Refresh(r)) = refresh {
            r.update(|v| *v += 1);
        }
    });
    let returned = move || match query.read().get("authorization").as_deref() {
        Some("cancelled") => Some((
            NoticeKind::Warning,
            "Authorization was cancelled on Dropbox; the data source is still not connected.",
        )),
        Some("connected") => Some((
            NoticeKind::Success,
            "Connected. The connection was tested automatically.",
        )),
        Some("test_failed") => Some((
            NoticeKind::Warning,
            "Connected, but the automatic connection test failed: see the status above.",
        )),
        _ => None,
    };
    let provider = view.provider.clone();
    let connected = view.connection.is_some();
    view! {
        <section class="panel" aria-labelledby="connection-title">
            <h2 id="connection-title">"Connection"</h2>
            {move || returned().map(|(kind, text)| view! {
                <Notice kind testid="authorization-result">{text}</Notice>
            })}
            {match view.connection.clone() {
                Some(c) => view! { <ConnectedAs c provider=provider.clone()/> }.into_any(),
                None => view! {
                    <p class="muted" data-testid="not-connected">
                        {format!("Not connected yet. Authorize lets Wharf use a {provider} account; the connection is tested as soon as you allow it.")}
                    </p>
                }.into_any(),
            }}
            <div class="form-actions">
                <button class="button primary"
                    disabled=move || authorize.pending().get() || dirty.get()
                    title=move || if dirty.get() { "Save your changes first" } else { "" }
                    on:click=move |_| { authorize.dispatch(AuthorizeDataSource { id }); }>
                    {if connected { "Re-authorize" } else { "Authorize" }}
                </button>
                // Nothing to test before Dropbox has been authorized.
                {connected.then(|| view! {
                    <button class="button" disabled=move || test.pending().get()
                        on:click=move |_| { test.dispatch(TestDataSource { id }); }>
                        {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                    </button>
                })}
            </div>
        </section>
    }
}

#[component]
fn ConnectedAs(c: ConnectionView, provider: String) -> impl IntoView {
    let quota = match (c.used_bytes, c.allocated_bytes) {
        (Some(used), Some(total)) if total > 0 => {
            format!(
                "{} of {} used",
                human_size(used.max(0) as u64),
                human_size(total.max(0) as u64)
            )
        }
        (Some(used), _) => format!("{} used", human_size(used.max(0) as u64)),
        _ => "not read yet".to_owned(),
    };
    view! {
        <p data-testid="connected-as">
            "Connected as " <strong>{c.account_name.clone()}</strong> " <" {c.account_email.clone()} ">"
            " · " {format!("{} account", c.account_type)}
            " · " {if c.team_space { "team member with a team space" } else { "personal" }}
            " · " {provider}
        </p>
        <dl class="facts">
            <dt>"Quota"</dt>
            <dd>{quota}</dd>
            <dt>"Authorized"</dt>
            <dd><Time at=c.authorized_at.clone()/></dd>
            <dt>"Access token expires"</dt>
            <dd>{match c.token_expires_at.clone() { Some(at) => view! { <Time at/> }.into_any(), None => "does not expire".into_any() }}</dd>
            <dt>"Last refresh"</dt>
            <dd>{match c.last_refresh_at.clone() { Some(at) => view! { <Time at/> }.into_any(), None => "not yet".into_any() }}</dd>
        </dl>
    }
}
