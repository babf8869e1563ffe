//! `/forms/:id/submissions`: who submitted what and when, newest first; chosen files as name, path
//! and size with a download streamed through Wharf (which checks the viewer may use the data source).
use crate::api::forms::list_submissions;
use crate::components::admin::Pager;
use crate::components::errors::load_failed;
use crate::components::time::Time;
use crate::dto::SubmissionList;
use crate::routes::{require_id, use_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use wharf_types::forms::{FieldValue, human_size};

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
    view! {
        <Title text=title.clone()/>
        <h1>{title}</h1>
        {if list.submissions.rows.is_empty() {
            view! { <p class="muted" data-testid="no-submissions">"Nobody has submitted this form yet."</p> }.into_any()
        } else {
            view! {
                <table class="table stack submissions" data-testid="submissions">
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"Submitted by"</th><th scope="col">"When"</th>
                        {columns.iter().map(|(_, t)| view! { <th scope="col">{t.clone()}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {list.submissions.rows.into_iter().map(|s| {
                            let cells = columns.iter().map(|(name, title)| {
                                let value = s.values.get(name).cloned();
                                view! { <td data-label=title.clone()>{value.map(render_value)}</td> }
                            }).collect_view();
                            view! {
                                <tr data-submission=s.id>
                                    <td class="cell-title">{format!("#{}", s.id)}</td>
                                    <td data-label="Submitted by">{s.submitted_by.clone().unwrap_or_else(|| "(deleted user)".into())}</td>
                                    <td data-label="When"><Time at=s.submitted_at.clone()/></td>
                                    {cells}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <Pager label="Pages of submissions" page=list.submissions.page page_size=list.submissions.page_size shown total=list.submissions.total on_page=page/>
            }.into_any()
        }}
    }
}

fn render_value(value: FieldValue) -> AnyView {
    match value {
        FieldValue::Text(t) | FieldValue::Date(t) => view! { <span>{t}</span> }.into_any(),
        FieldValue::Number(n) => view! { <span>{n.to_string()}</span> }.into_any(),
        FieldValue::Options(o) => view! { <span>{o.join(", ")}</span> }.into_any(),
        FieldValue::Uploads(files) => view! {
            <ul class="submitted-files">
                {files.into_iter().map(|f| view! {
                    <li class="submitted-file">
                        <a href=crate::urls::uploaded_file(f.id) download=f.name.clone()>{f.name.clone()}</a>
                        <span class="muted">{format!(" · uploaded · {}", human_size(f.size))}</span>
                    </li>
                }).collect_view()}
            </ul>
        }.into_any(),
        // Never stored: exchanged for the uploads on submit.
        FieldValue::UploadTokens(_) => ().into_any(),
        // Shown in full by the Table field's view (issue 15, fill helper).
        FieldValue::Table(rows) => view! { <span>{format!("{} rows", rows.len())}</span> }.into_any(),
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
