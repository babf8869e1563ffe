//! `/forms`: the published forms anyone may fill in and, for designers, every form with its status,
//! "+ New form", and links to edit and to the submissions.
use super::status_label;
use crate::api::forms::{CreateForm, list_forms, list_published_forms};
use crate::components::admin::{FormError, field_error, form_error};
use crate::components::errors::FieldError;
use crate::components::list_page::{Level, SearchableList};
use crate::components::shell::CurrentUserResource;
use crate::components::time::Time;
use crate::dto::FormRow;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn FormsPage() -> impl IntoView {
    let user = expect_context::<CurrentUserResource>();
    view! {
        <Title text="Forms"/>
        <section class="page">
            <h1>"Forms"</h1>
            <PublishedForms/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let designer = matches!(user.await, Ok(Some(u)) if u.may_design_forms);
                    designer.then(|| view! { <DesignedForms/> })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PublishedForms() -> impl IntoView {
    view! {
        <SearchableList
            title="Fill in a form"
            level=Level::Section
            search_label="Search forms to fill in"
            placeholder="Search forms"
            pager_label="Pages of forms to fill in"
            no_match="No published form matches your search."
            empty=|| view! { <p class="muted" data-testid="no-published-forms">"No form is published yet."</p> }
            load=|search, page| list_published_forms(search, Some(page))
            rows={|rows: Vec<FormRow>| view! {
                <ul class="cards" data-testid="published-forms">
                    {rows.into_iter().map(|f| view! {
                        <li><A href=format!("/forms/{}/fill", f.id) attr:class="card-link">{f.title}</A></li>
                    }).collect_view()}
                </ul>
            }.into_any()}
        />
    }
}

#[component]
fn DesignedForms() -> impl IntoView {
    let creating = RwSignal::new(false);
    view! {
        <SearchableList
            title="Design forms"
            level=Level::Section
            search_label="Search forms to design"
            placeholder="Search forms"
            pager_label="Pages of forms to design"
            no_match="No form matches your search."
            empty=|| view! { <p class="muted">"No forms yet. Start with + New form."</p> }
            load=|search, page| list_forms(search, Some(page))
            actions=Callback::new(move |_| view! {
                <button class="button primary" data-testid="new-form" on:click=move |_| creating.set(true)>"+ New form"</button>
            }.into_any())
            rows=|rows| view! { <DesignedFormsTable rows/> }.into_any()
        >
            <Show when=move || creating.get()>
                <NewFormPanel creating/>
            </Show>
        </SearchableList>
    }
}

#[component]
fn DesignedFormsTable(rows: Vec<FormRow>) -> impl IntoView {
    view! {
        <table class="table stack" data-testid="designed-forms">
            <thead><tr>
                <th scope="col">"Title"</th><th scope="col">"Status"</th>
                <th scope="col">"Modified"</th><th scope="col">"Modified by"</th><th></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|f| {
                    let status = status_label(&f);
                    view! {
                        <tr>
                            <td class="cell-title"><A href=format!("/forms/{}/edit", f.id)>{f.title.clone()}</A></td>
                            <td data-label="Status">{status}</td>
                            <td data-label="Modified"><Time at=f.updated_at.clone()/></td>
                            <td data-label="Modified by">{f.updated_by.clone().unwrap_or_default()}</td>
                            <td><A href=format!("/forms/{}/submissions", f.id)>"Submissions"</A></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn NewFormPanel(creating: RwSignal<bool>) -> impl IntoView {
    let create = ServerAction::<CreateForm>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/forms/{id}/edit"), Default::default());
        }
    });
    let answer = create.value();
    let title_error = field_error(answer, "title");
    view! {
        <ActionForm action=create attr:class="panel" attr:data-testid="new-form-panel">
            <div class="field">
                <label for="new-form-title">"Title"</label>
                <input id="new-form-title" name="title" maxlength="200" required autofocus placeholder="e.g. Invoice approval"/>
                <FieldError message=title_error id="new-form-title-error"/>
            </div>
            <FormError message=form_error(answer)/>
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || create.pending().get()>"Create"</button>
                <button type="button" class="button" on:click=move |_| creating.set(false)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}
