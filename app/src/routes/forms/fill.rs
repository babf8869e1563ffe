//! `/forms/:id/fill` (`?preview=1` for a designer's look at the saved draft): the form as people
//! fill it in. The server checks everything again on submit; the browser only helps.
use super::writes::WritesPanel;
use crate::api::forms::{SubmitForm, get_fillable_form, pick_files};
use crate::components::admin::FormError;
use crate::components::errors::{FieldError, load_failed};
use crate::components::file_picker::{FilePicker, choice_of, sort_in_field_order};
use crate::components::notice::{Notice, NoticeKind};
use crate::components::paged_list::PagedList;
use crate::components::table_field::{TableFieldView, TableRows};
use crate::components::upload_field::{Upload, UploadField, UploadState};
use crate::dto::{FillableForm, PickEntry, PickPage, Submitted};
use crate::routes::{require_id, use_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;
use wharf_types::forms::{
    FieldDefinition, FieldKind, FieldValue, FileChoice, FilterMode, ListFormat, ListSource,
    SortDirection,
};
use wharf_types::rules::{MessageLevel, RuleMessage, value_text};

mod rules;
use rules::RuleRunner;

#[component]
pub fn FillFormPage() -> impl IntoView {
    let query = use_query_map();
    let id = use_id_param();
    let preview = move || query.read().get("preview").is_some_and(|p| p == "1");
    let form = Resource::new(
        move || (id.get(), preview()),
        |(id, preview)| {
            require_id(id, "There is no such form.", move |id| {
                get_fillable_form(id, Some(preview))
            })
        },
    );
    view! {
        <section class="page narrow fill">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match form.await {
                        Ok(f) => view! { <Fill form=f/> }.into_any(),
                        Err(e) => load_failed("Form", e),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The value being entered in one field.
#[derive(Clone, Copy)]
enum Input {
    Text(RwSignal<String>),
    Options(RwSignal<Vec<String>>),
    Files(RwSignal<Vec<FileChoice>>),
    Uploads(RwSignal<Vec<Upload>>),
    Table(TableRows),
    /// A Button holds no value.
    Button,
}

impl Input {
    fn for_field(f: &FieldDefinition) -> Input {
        match &f.kind {
            FieldKind::List(l) => match l.source {
                ListSource::Manual { .. } => Input::Options(RwSignal::new(Vec::new())),
                ListSource::DataSource(_) => Input::Files(RwSignal::new(Vec::new())),
            },
            FieldKind::FileUpload(_) => Input::Uploads(RwSignal::new(Vec::new())),
            FieldKind::Table(_) => Input::Table(TableRows::new()),
            FieldKind::Button(_) => Input::Button,
            FieldKind::Text | FieldKind::Number | FieldKind::Date => {
                Input::Text(RwSignal::new(String::new()))
            }
        }
    }

    /// Subscribes the caller to changes of the value.
    fn track(&self) {
        match self {
            Input::Text(t) => t.track(),
            Input::Options(o) => o.track(),
            Input::Files(f) => f.track(),
            Input::Uploads(u) => u.track(),
            Input::Table(rows) => rows.track(),
            Input::Button => {}
        }
    }

    /// Puts a value a rule gave into the field; `false` when the field cannot hold it. A blank
    /// value clears the field.
    fn set(&self, value: FieldValue) -> bool {
        match (self, value) {
            // A date input holds the day only (a rule may give a file's time).
            (Input::Text(t), FieldValue::Date(d)) => t.set(d.get(..10).unwrap_or(&d).to_owned()),
            (Input::Text(t), value @ (FieldValue::Text(_) | FieldValue::Number(_))) => {
                t.set(value_text(&value))
            }
            (Input::Options(o), FieldValue::Options(v)) => o.set(v),
            (Input::Options(o), FieldValue::Text(t)) if t.trim().is_empty() => o.set(Vec::new()),
            (Input::Files(f), FieldValue::Files(v)) => f.set(v),
            (Input::Files(f), FieldValue::Text(t)) if t.trim().is_empty() => f.set(Vec::new()),
            (Input::Table(rows), FieldValue::Table(v)) => rows.replace(v),
            (Input::Table(rows), FieldValue::Text(t)) if t.trim().is_empty() => {
                rows.replace(Vec::new())
            }
            _ => return false,
        }
        true
    }

    /// The value to send, `Ok(None)` when blank, or what is wrong with it.
    fn value(&self, kind: &FieldKind) -> Result<Option<FieldValue>, String> {
        Ok(match (self, kind) {
            (Input::Text(t), kind) => {
                let t = t.get_untracked();
                if t.trim().is_empty() {
                    return Ok(None);
                }
                match kind {
                    FieldKind::Number => Some(FieldValue::Number(
                        t.trim()
                            .parse::<f64>()
                            .map_err(|_| "Enter a number.".to_owned())?,
                    )),
                    FieldKind::Date => Some(FieldValue::Date(t)),
                    _ => Some(FieldValue::Text(t)),
                }
            }
            (Input::Options(o), _) => Some(FieldValue::Options(o.get_untracked())),
            (Input::Files(f), _) => Some(FieldValue::Files(f.get_untracked())),
            (Input::Uploads(u), _) => {
                let uploads = u.get_untracked();
                if uploads
                    .iter()
                    .any(|x| matches!(x.state, UploadState::Sending { .. }))
                {
                    return Err("Wait until every file has been sent.".into());
                }
                let tokens: Vec<String> = uploads
                    .into_iter()
                    .filter_map(|x| match x.state {
                        UploadState::Sent(r) => Some(r.token),
                        _ => None,
                    })
                    .collect();
                (!tokens.is_empty()).then_some(FieldValue::UploadTokens(tokens))
            }
            (Input::Table(rows), _) => {
                let rows = rows.value();
                (!rows.is_empty()).then_some(FieldValue::Table(rows))
            }
            (Input::Button, _) => None,
        })
    }
}

/// The values of the enabled fields as they stand (what a submission and the rules are sent), and
/// what is wrong with those that cannot be sent, by field name. Required fields are checked only
/// when they are visible: hidden ones are the rules' business.
fn current_values(
    fields: &[(FieldDefinition, Input)],
) -> (BTreeMap<String, FieldValue>, BTreeMap<String, String>) {
    let mut values = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (f, input) in fields.iter().filter(|(f, _)| f.enabled) {
        match input.value(&f.kind) {
            Ok(Some(v)) => {
                values.insert(f.name.clone(), v);
            }
            Ok(None) if f.required && f.visible => {
                let message = match f.kind {
                    FieldKind::Table(_) => format!("{} needs at least one row.", f.title),
                    _ => format!("{} is required.", f.title),
                };
                errors.insert(f.name.clone(), message);
            }
            Ok(None) => {}
            Err(e) => {
                errors.insert(f.name.clone(), e);
            }
        }
    }
    (values, errors)
}

#[component]
fn Fill(form: FillableForm) -> impl IntoView {
    let FillableForm {
        id,
        title,
        version,
        preview,
        definition,
        refusals,
        user_name,
        user_email,
    } = form;
    // Hidden fields hold values too: rules may set them.
    let fields: Vec<(FieldDefinition, Input)> = definition
        .fields
        .into_iter()
        .map(|f| {
            let input = Input::for_field(&f);
            (f, input)
        })
        .collect();
    let all_fields = StoredValue::new(fields.clone());
    let rules = RuleRunner::new(
        id,
        preview,
        definition.rules,
        fields.clone(),
        user_name,
        user_email,
    );
    rules.start();
    let fields: Vec<(FieldDefinition, Input)> =
        fields.into_iter().filter(|(f, _)| f.visible).collect();
    let submit = ServerAction::<SubmitForm>::new();
    let client_errors = RwSignal::new(BTreeMap::<String, String>::new());
    // What the browser found wrong with a field goes once the person changes it.
    for (f, input) in &fields {
        let (name, input) = (f.name.clone(), *input);
        Effect::new(move |seen: Option<()>| {
            input.track();
            if seen.is_some() && client_errors.with_untracked(|e| e.contains_key(&name)) {
                client_errors.update(|e| {
                    e.remove(&name);
                });
            }
        });
    }
    let submitted = RwSignal::new(None::<Submitted>);
    Effect::new(move |_| {
        if let Some(Ok(answer)) = submit.value().get() {
            submitted.set(Some(answer));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (values, errors) = all_fields.with_value(|f| current_values(f));
        let ok = errors.is_empty();
        client_errors.set(errors);
        if ok && !preview {
            submit.dispatch(SubmitForm { id, values });
        }
    };
    let answer = submit.value();
    let server_field_error = move |name: String| {
        Signal::derive(move || {
            client_errors.with(|c| c.get(&name).cloned()).or_else(|| {
                answer.with(|a| {
                    a.as_ref()
                        .and_then(|r| r.as_ref().err())
                        .and_then(|e| e.for_field(&name))
                })
            })
        })
    };
    let form_problem = Signal::derive(move || {
        answer.with(|a| match a {
            // Several fields' problems: a summary here, each message at its field; a Before
            // submit rule's refusal is the form's message.
            Some(Err(e)) => e.form_message(),
            _ => None,
        })
    });
    view! {
        <Title text=title.clone()/>
        <h1>{title.clone()}</h1>
        {preview.then(|| view! {
            <Notice kind=NoticeKind::Info testid="preview-notice">"Preview of the saved draft: Submit checks the fields but stores nothing."</Notice>
        })}
        <Show when=move || submitted.with(Option::is_some)
            fallback=move || {
                let fields = fields.clone();
                let refusals = refusals.clone();
                view! {
                    <form on:submit=on_submit novalidate data-testid="fill-form">
                        {fields.into_iter().map(|(f, input)| {
                            let error = server_field_error(f.name.clone());
                            let refusal = refusals.get(&f.name).cloned();
                            view! { <FieldInput form_id=id preview field=f input error refusal rules/> }
                        }).collect_view()}
                        <RuleMessages rules/>
                        <FormError message=form_problem testid="form-problem"/>
                        <div class="form-actions">
                            <button type="submit" class="button primary" data-testid="submit-form" disabled=move || submit.pending().get()>"Submit"</button>
                            <A href="/forms" attr:class="button">"Close"</A>
                        </div>
                    </form>
                }
            }>
            <Notice kind=NoticeKind::Success live=true testid="submitted">
                <p>{move || format!("Thank you. Your answers were recorded (submission {}, form version {version}).", submitted.with(|s| s.as_ref().map_or(0, |s| s.id)))}</p>
                {move || submitted.with(|s| s.as_ref().map(|s| s.messages.clone())).unwrap_or_default().into_iter().map(|m| {
                    view! { <p class="rule-message" data-level=level_key(m.level) data-testid="after-submit-message">{m.text}</p> }
                }).collect_view()}
                <A href="/forms" attr:class="button">"Back to forms"</A>
            </Notice>
            // The files saved and the After submit rules run after the submission is stored.
            {move || submitted.with(|s| s.as_ref().and_then(|s| s.writes.clone().map(|w| (s.id, w)))).map(|(id, writes)| view! {
                <WritesPanel submission_id=id writes/>
            })}
        </Show>
    }
    .into_any()
}

pub(super) fn level_key(level: MessageLevel) -> &'static str {
    match level {
        MessageLevel::Info => "info",
        MessageLevel::Error => "error",
    }
}

/// What the rules said, newest last, and why the last run failed (nothing changed then).
#[component]
fn RuleMessages(rules: RuleRunner) -> impl IntoView {
    let notice = |m: RuleMessage| {
        let kind = match m.level {
            MessageLevel::Info => NoticeKind::Info,
            MessageLevel::Error => NoticeKind::Error,
        };
        view! {
            <Notice kind live=true testid="rule-message">
                <p data-level=level_key(m.level)>{m.text}</p>
            </Notice>
        }
    };
    view! {
        <div class="rule-messages" data-testid="rule-messages">
            // Keyed, so a message that stays is not announced again when another arrives.
            <For each=move || rules.messages.get() key=|m| (m.rule.clone(), m.text.clone(), level_key(m.level)) children=notice/>
            {move || rules.failure.get().map(|e| view! {
                <Notice kind=NoticeKind::Error live=true testid="rule-failure"><p>{e}</p></Notice>
            })}
        </div>
    }
}

#[component]
fn FieldInput(
    form_id: i32,
    preview: bool,
    field: FieldDefinition,
    input: Input,
    error: Signal<Option<String>>,
    refusal: Option<String>,
    rules: RuleRunner,
) -> impl IntoView {
    let id = format!("f-{}", field.name);
    let error_id = format!("{id}-error");
    let disabled = !field.enabled;
    let required = field
        .required
        .then(|| view! { <span class="required" aria-hidden="true">" *"</span> });
    let label = match &field.kind {
        // A button is named by its own label.
        FieldKind::Button(_) => ().into_any(),
        // A table is no form control: its title names it through aria-labelledby.
        FieldKind::Table(_) => view! {
            <span class="field-label" id=format!("{id}-label")>{field.title.clone()}{required}</span>
        }.into_any(),
        _ => view! { <label for=id.clone()>{field.title.clone()}{required}</label> }.into_any(),
    };
    let help = (!field.help.is_empty()).then(|| view! { <p class="hint">{field.help.clone()}</p> });
    let control = match (&field.kind, input) {
        (FieldKind::List(list), Input::Files(chosen)) => {
            if let Some(reason) = refusal {
                view! { <p class="form-error" role="alert" data-testid="field-refused">{reason}</p> }.into_any()
            } else if let ListSource::DataSource(ds) = &list.source {
                if list.format == ListFormat::FileBrowser && disabled {
                    view! { <p class="muted">"This field cannot be changed."</p> }.into_any()
                } else if list.format == ListFormat::FileBrowser {
                    view! { <FilePicker form_id field=field.name.clone() preview many=true direction=ds.direction chosen/> }.into_any()
                } else {
                    view! { <DataSourceOptions form_id field=field.name.clone() preview format=list.format direction=ds.direction chosen id=id.clone() disabled/> }.into_any()
                }
            } else {
                ().into_any()
            }
        }
        (FieldKind::List(list), Input::Options(chosen)) => match &list.source {
            ListSource::Manual { options } => view! { <ManualOptions options=options.clone() format=list.format chosen id=id.clone() disabled/> }.into_any(),
            ListSource::DataSource(_) => ().into_any(),
        },
        (FieldKind::Button(button), Input::Button) => {
            let name = field.name.clone();
            let running = {
                let name = name.clone();
                move || rules.running.with(|r| r.contains(&name))
            };
            let busy = running.clone();
            let label = button.label.clone();
            view! {
                <button type="button" class="button rule-button" id=id.clone() data-testid=format!("button-{name}")
                    disabled=move || disabled || running() aria-busy=move || busy().then_some("true")
                    on:click=move |_| rules.click(name.clone())>
                    {label}
                </button>
            }.into_any()
        }
        (FieldKind::Table(table), Input::Table(rows)) => view! {
            <TableFieldView form_id preview field=field.name.clone() title=field.title.clone() table=table.clone() rows
                label_id=format!("{id}-label") editable=table.editable && !disabled/>
        }.into_any(),
        (FieldKind::FileUpload(_), Input::Uploads(uploads)) => view! {
            <UploadField form_id field=field.name.clone() id=id.clone() disabled=disabled || preview uploads/>
        }.into_any(),
        (kind, Input::Text(text)) => {
            let kind_attr = match kind {
                FieldKind::Number => "number",
                FieldKind::Date => "date",
                _ => "text",
            };
            view! {
                <input id=id.clone() type=kind_attr step="any" disabled=disabled aria-describedby=error_id.clone()
                    required=field.required prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))/>
            }.into_any()
        }
        _ => ().into_any(),
    };
    view! {
        <div class="field" data-field=field.name.clone()>
            {label}
            {help}
            {control}
            <FieldError message=error id=error_id/>
        </div>
    }
    .into_any()
}

#[component]
fn ManualOptions(
    options: Vec<String>,
    format: ListFormat,
    chosen: RwSignal<Vec<String>>,
    id: String,
    disabled: bool,
) -> impl IntoView {
    let pick_one = move |v: String| chosen.set(if v.is_empty() { Vec::new() } else { vec![v] });
    let toggle = move |v: String, on: bool| {
        chosen.update(|c| {
            c.retain(|x| *x != v);
            if on {
                c.push(v);
            }
        })
    };
    match format {
        ListFormat::DropDown { filter } => {
            let typed = RwSignal::new(String::new());
            let shown = move || {
                let t = typed.get().to_lowercase();
                options
                    .iter()
                    .filter(|o| match filter {
                        FilterMode::StartsWith => o.to_lowercase().starts_with(&t),
                        FilterMode::Contains => o.to_lowercase().contains(&t),
                    })
                    .cloned()
                    .collect::<Vec<_>>()
            };
            view! {
                <input type="search" class="list-filter" placeholder="Type to filter" aria-label="Filter the options"
                    disabled=disabled on:input=move |ev| typed.set(event_target_value(&ev))/>
                <select id=id disabled=disabled on:change=move |ev| pick_one(event_target_value(&ev))>
                    <option value="">"Choose…"</option>
                    {move || shown().into_iter().map(|o| {
                        let selected = chosen.with(|c| c.contains(&o));
                        view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                    }).collect_view()}
                </select>
            }.into_any()
        }
        ListFormat::MultiSelect => view! {
            <select id=id multiple disabled=disabled on:change=move |ev| {
                use wasm_bindgen::JsCast;
                let values = ev.target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                    .map(|s| {
                        let o = s.selected_options();
                        (0..o.length()).filter_map(|i| o.item(i)).filter_map(|e| e.get_attribute("value")).collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                chosen.set(values);
            }>
                {options.into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
            </select>
        }.into_any(),
        ListFormat::RadioList | ListFormat::CheckboxList | ListFormat::FileBrowser => {
            let many = format != ListFormat::RadioList;
            let group = id.clone();
            view! {
                <div class="choice-list" role=if many { "group" } else { "radiogroup" } id=id>
                    {options.into_iter().map(|o| {
                        let v = o.clone();
                        let label = o.clone();
                        view! {
                            <label class="check">
                                <input type=if many { "checkbox" } else { "radio" } name=group.clone() disabled=disabled
                                    prop:checked=move || chosen.with(|c| c.contains(&o))
                                    on:change=move |ev| if many { toggle(v.clone(), event_target_checked(&ev)) } else { pick_one(v.clone()) }/>
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
    }
}

/// A data-source List shown as a drop-down, radio, multi-select or checkbox list: the folder's
/// entries page by page, each labelled with the field's Display field.
#[component]
fn DataSourceOptions(
    form_id: i32,
    field: String,
    preview: bool,
    format: ListFormat,
    /// The field's Direction; its Sort by is in each entry's sort key.
    direction: SortDirection,
    chosen: RwSignal<Vec<FileChoice>>,
    id: String,
    disabled: bool,
) -> impl IntoView {
    let list = PagedList::<PickEntry>::new();
    let data_source = RwSignal::new(0);
    let typed = RwSignal::new(String::new());
    let accept = move |page: PickPage| {
        data_source.set(page.data_source_id);
        // Folders that cannot be chosen are no options (a list format cannot open them).
        let rows = page
            .entries
            .into_iter()
            .filter(|p| !p.entry.is_folder || p.refusal.is_none())
            .collect();
        (rows, page.next)
    };
    let field = StoredValue::new(field);
    let fetch = move |cursor: Option<String>| {
        pick_files(
            form_id,
            field.get_value(),
            preview,
            String::new(),
            None,
            cursor,
        )
    };
    Effect::new(move |_| list.reload(fetch(None), accept));
    let load_more = move || list.load_more(|cursor| fetch(Some(cursor)), accept);
    let entries = list.rows;
    let many = format.allows_many();
    let set = move |p: &PickEntry, on: bool| {
        let choice = choice_of(data_source.get_untracked(), p);
        chosen.update(|c| {
            c.retain(|x| x.id != choice.id);
            if on {
                if !many {
                    c.clear();
                }
                c.push(choice);
            }
        })
    };
    let filter = match format {
        ListFormat::DropDown { filter } => Some(filter),
        _ => None,
    };
    let shown = move || {
        let t = typed.get().to_lowercase();
        let mut all = entries.get();
        // Dropbox lists in its own order; the field's Sort by and Direction decide.
        sort_in_field_order(&mut all, direction);
        all.into_iter()
            .filter(|p| match filter {
                Some(FilterMode::StartsWith) => p.display.to_lowercase().starts_with(&t),
                Some(FilterMode::Contains) => p.display.to_lowercase().contains(&t),
                None => true,
            })
            .collect::<Vec<_>>()
    };
    let options = match format {
        ListFormat::DropDown { .. } => view! {
            <input type="search" class="list-filter" placeholder="Type to filter" aria-label="Filter the options"
                disabled=disabled on:input=move |ev| typed.set(event_target_value(&ev))/>
            <select id=id.clone() disabled=disabled on:change=move |ev| {
                let v = event_target_value(&ev);
                match entries.with_untracked(|e| e.iter().find(|p| p.entry.id == v).cloned()) {
                    Some(p) => set(&p, true),
                    None => chosen.set(Vec::new()),
                }
            }>
                <option value="">"Choose…"</option>
                {move || shown().into_iter().map(|p| view! {
                    <option value=p.entry.id.clone() disabled=p.refusal.is_some() title=p.refusal.clone().unwrap_or_default()>{p.display.clone()}</option>
                }).collect_view()}
            </select>
        }.into_any(),
        _ => {
            let group = id.clone();
            view! {
                <div class="choice-list" id=id.clone() role=if many { "group" } else { "radiogroup" }>
                    {move || shown().into_iter().map(|p| {
                        let pid = p.entry.id.clone();
                        let p2 = p.clone();
                        view! {
                            <label class="check" class:refused=p.refusal.is_some() title=p.refusal.clone().unwrap_or_default()>
                                <input type=if many { "checkbox" } else { "radio" } name=group.clone()
                                    disabled=disabled || p.refusal.is_some()
                                    prop:checked=move || chosen.with(|c| c.iter().any(|x| x.id == pid))
                                    on:change=move |ev| set(&p2, event_target_checked(&ev))/>
                                {p.display.clone()}
                                {p.refusal.clone().map(|r| view! { <span class="pick-reason">{r}</span> })}
                            </label>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
    };
    view! {
        {options}
        <Show when=move || list.has_more()>
            <button type="button" class="button subtle" disabled=move || list.loading.get()
                on:click=move |_| load_more()>"Load more"</button>
        </Show>
        <Show when=move || list.error.with(Option::is_some)>
            <p class="form-error" role="alert">{move || list.error.get()}</p>
        </Show>
    }
    .into_any()
}
