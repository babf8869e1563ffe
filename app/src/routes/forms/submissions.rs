//! `/forms/:id/submissions`: who submitted what and when, newest first; chosen files as name, path
//! and size with a download streamed through Wharf (which checks the viewer may use the data source);
//! a Table field's rows as a small table of their own; uploaded files where they were saved (Wharf or
//! a data source); and, for a form that writes, each submission's writes with Retry once they need
//! attention.
use super::writes::{WriteSteps, follow_writes, state_key, state_text};
use crate::api::forms::list_submissions;
use crate::api::writes::retry_submission_writes;
use crate::components::admin::Pager;
use crate::components::errors::load_failed;
use crate::components::table_field::show_cell;
use crate::components::time::Time;
use crate::dto::SubmissionList;
use crate::routes::{require_id, use_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use wharf_types::forms::{FieldValue, human_size};
use wharf_types::rules::{TableRow, WritesProgress, WritesState};

#[component]
pub fn SubmissionsPage() -> impl IntoView {
    let id = use_id_param();
    let page = RwSignal::new(0u64);
    let list = Resource::new(
        move || (id.get(), page.get()),
        |(id, page)| {
            require_id(id, "There is no such form.", move |id| {
                list_submissions(id, Some(page))
            })
        },
    );
    view! {
        <section class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) => view! {
                            <Submissions list=l page/>
                            {id.get().map(|id| view! { <A href=format!("/forms/{id}/edit") attr:class="button">"Back to the form"</A> })}
                        }.into_any(),
                        Err(e) => load_failed("Submissions", e),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Submissions(list: SubmissionList, page: RwSignal<u64>) -> impl IntoView {
    let title = format!("Submissions · {}", list.form_title);
    let shown = list.submissions.rows.len();
    let columns = list.columns.clone();
    let table_columns = list.table_columns.clone();
    // The Writes column shows only for forms whose submissions write.
    let writes = list.submissions.rows.iter().any(|s| s.writes.is_some());
    view! {
        <Title text=title.clone()/>
        <h1>{title}</h1>
        {if list.submissions.rows.is_empty() {
            view! { <p class="muted" data-testid="no-submissions">"Nobody has submitted this form yet."</p> }.into_any()
        } else {
            view! {
                // A form with many fields scrolls sideways inside its box, never the page.
                <div class="table-scroll" tabindex="0" role="region" aria-label="Submissions">
                <table class="table stack submissions" data-testid="submissions">
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"Submitted by"</th><th scope="col">"When"</th>
                        {writes.then(|| view! { <th scope="col">"Writes"</th> })}
                        {columns.iter().map(|(_, t)| view! { <th scope="col">{t.clone()}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {list.submissions.rows.into_iter().map(|s| {
                            let cells = columns.iter().map(|(name, title)| {
                                let value = s.values.get(name).cloned();
                                let table = table_columns.get(name).cloned().unwrap_or_default();
                                view! { <td data-label=title.clone()>{value.map(|v| render_value(v, &table))}</td> }
                            }).collect_view();
                            view! {
                                <tr data-submission=s.id>
                                    <td class="cell-title">{format!("#{}", s.id)}</td>
                                    <td data-label="Submitted by">{s.submitted_by.clone().unwrap_or_else(|| "(deleted user)".into())}</td>
                                    <td data-label="When"><Time at=s.submitted_at.clone()/></td>
                                    {writes.then(|| view! { <td data-label="Writes"><WritesCell submission_id=s.id writes=s.writes.clone()/></td> })}
                                    {cells}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
                <Pager label="Pages of submissions" page=list.submissions.page page_size=list.submissions.page_size shown total=list.submissions.total on_page=page/>
            }.into_any()
        }}
    }
}

/// How a submission's writes stand: the state (and the error when it needs attention), the steps
/// behind a disclosure, and Retry once it needs attention — then it follows the retry live (only
/// then: a page of 50 submissions does not ask after each of them every second).
#[component]
fn WritesCell(submission_id: i32, writes: Option<WritesProgress>) -> impl IntoView {
    let listed = StoredValue::new(writes);
    let retried = RwSignal::new(None::<WritesProgress>);
    let failure = RwSignal::new(None::<String>);
    follow_writes(submission_id, retried, failure);
    let retrying = RwSignal::new(false);
    let retry = move |_| {
        retrying.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let answer = retry_submission_writes(submission_id).await;
            let _ = retrying.try_set(false);
            match answer {
                Ok(p) => {
                    let _ = retried.try_set(Some(p));
                }
                Err(e) => {
                    let _ = failure.try_set(Some(e.to_string()));
                }
            }
        });
    };
    move || {
        let Some(p) = retried.get().or_else(|| listed.get_value()) else {
            return view! { <span class="muted">"None"</span> }.into_any();
        };
        let attention = p.state == WritesState::NeedsAttention;
        let steps = p.steps.len();
        view! {
            <div class="writes-cell" data-testid="writes-cell" data-state=state_key(p.state)>
                <span class=format!("badge writes-{}", state_key(p.state))>{state_text(&p)}</span>
                {p.error.filter(|_| attention).map(|e| view! { <p class="form-error" data-testid="writes-error">{e}</p> })}
                {(steps > 0).then(|| view! {
                    <details class="write-details">
                        <summary>{if steps == 1 { "1 write".to_owned() } else { format!("{steps} writes") }}</summary>
                        <WriteSteps steps=p.steps/>
                    </details>
                })}
                {attention.then(|| view! {
                    <button type="button" class="button" data-testid="retry-writes" disabled=move || retrying.get()
                        aria-label=format!("Retry the writes of submission {submission_id}")
                        on:click=retry>"Retry"</button>
                })}
                {move || failure.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </div>
        }
        .into_any()
    }
}

/// A submitted value; `table` names a Table field's columns (name, title) in the designer's order.
fn render_value(value: FieldValue, table: &[(String, String)]) -> AnyView {
    match value {
        FieldValue::Text(t) | FieldValue::Date(t) => view! { <span>{t}</span> }.into_any(),
        FieldValue::Number(n) => view! { <span>{n.to_string()}</span> }.into_any(),
        FieldValue::Options(o) => view! { <span>{o.join(", ")}</span> }.into_any(),
        FieldValue::Uploads(files) => view! {
            <ul class="submitted-files">
                {files.into_iter().map(|f| match f.saved {
                    // Saved to a data source: the bytes live there only.
                    Some(saved) => view! {
                        <li class="submitted-file" data-saved="data-source">
                            <a href=crate::urls::file_download(saved.data_source_id, &saved.path) download=saved.name.clone()>{saved.name.clone()}</a>
                            <span class="muted">{format!(" /{} · saved · {}", saved.path.trim_start_matches('/'), human_size(saved.size.unwrap_or(f.size)))}</span>
                        </li>
                    }.into_any(),
                    None => view! {
                        <li class="submitted-file">
                            <a href=crate::urls::uploaded_file(f.id) download=f.name.clone()>{f.name.clone()}</a>
                            <span class="muted">{format!(" · uploaded · {}", human_size(f.size))}</span>
                        </li>
                    }.into_any(),
                }).collect_view()}
            </ul>
        }.into_any(),
        // Never stored: exchanged for the uploads on submit.
        FieldValue::UploadTokens(_) => ().into_any(),
        FieldValue::Table(rows) => submitted_table(rows, table),
        FieldValue::Files(files) => view! {
            <ul class="submitted-files">
                {files.into_iter().map(|f| {
                    let size = f.size.map(human_size).unwrap_or_default();
                    view! {
                        <li class="submitted-file">
                            <a href=crate::urls::file_download(f.data_source_id, &f.path) download=f.name.clone()>{f.name.clone()}</a>
                            <span class="muted">{format!(" /{} · {size}", f.path.trim_start_matches('/'))}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any(),
    }
}

/// A Table field's rows behind a "n rows" disclosure (a long table would make every submission a
/// page tall), columns titled and ordered as the designer made them; a column the rows name that
/// the form no longer has (an older version) is shown under its name after them. Cells as the fill
/// page shows them (files as downloads through Wharf).
fn submitted_table(rows: Vec<TableRow>, table: &[(String, String)]) -> AnyView {
    if rows.is_empty() {
        return view! { <span class="muted">"No rows"</span> }.into_any();
    }
    let mut columns: Vec<(String, String)> = table.to_vec();
    for name in rows.iter().flat_map(|r| r.keys()) {
        if !columns.iter().any(|(n, _)| n == name) {
            columns.push((name.clone(), name.clone()));
        }
    }
    let count = rows.len();
    let summary = if count == 1 {
        "1 row".to_owned()
    } else {
        format!("{count} rows")
    };
    view! {
        <details class="submitted-rows" data-testid="submitted-rows">
            <summary>{summary}</summary>
            <div class="cell-table-box">
                <table class="cell-table" data-testid="submitted-table">
                    <thead><tr>
                        {columns.iter().map(|(_, title)| view! { <th scope="col">{title.clone()}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|mut row| view! {
                            <tr>
                                {columns.iter().map(|(name, title)| {
                                    let cell = row.remove(name);
                                    view! { <td data-label=title.clone()>{cell.map(show_cell)}</td> }
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
    .into_any()
}
