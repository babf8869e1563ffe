//! `/forms/:id/edit`: the form designer. Fields are added, ordered and edited in the browser and
//! checked as they are typed (the same checks the server runs again on Save); Preview shows the
//! saved draft; Publish makes it what people fill in.
use super::designer_rules::{RuleEditor, RulesPanel};
use super::rule_editor::Choice;
use super::rule_find::{DataSourceField, FolderField};
use super::rule_write::{conflict_key, conflict_of, conflict_options};
use super::status_label;
use crate::api::forms::{DeleteForm, PublishForm, SaveForm, get_form};
use crate::components::choosers::{DataSourceChooser, FolderChooser};
use crate::components::confirm::DeletePanel;
use crate::components::errors::load_failed;
use crate::components::icons::{Icon, IconName};
use crate::components::toast::use_toasts;
use crate::dto::FormView;
use crate::error::AppError;
use crate::routes::{require_id, use_id_param};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use std::collections::BTreeMap;
use wharf_types::forms::{
    DataSourceList, FieldDefinition, FieldKind, FileParameter, FilterMode, FormDefinition,
    ListField, ListFormat, ListSource, SaveLocation, SaveToDataSource, SortDirection, UploadField,
    UploadName, identifier_from, parse_extensions,
};
use wharf_types::rules::{
    ButtonField, ColumnKind, FieldFacts, OnConflict, Rule, TableColumn, TableField, rename_field,
};

#[component]
pub fn FormDesignerPage() -> impl IntoView {
    let id = use_id_param();
    let form = Resource::new(
        move || id.get(),
        |id| require_id(id, "There is no such form.", get_form),
    );
    view! {
        <section class="page designer">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match form.await {
                        Ok(f) => view! { <Designer form=f/> }.into_any(),
                        Err(e) => load_failed("Form", e),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The designer's state: the title, fields and rules being edited, which field's or rule's
/// properties are open (one at a time), and the names of the data sources chosen so far.
#[derive(Clone, Copy)]
pub(super) struct Draft {
    pub(super) title: RwSignal<String>,
    pub(super) fields: RwSignal<Vec<FieldDefinition>>,
    pub(super) rules: RwSignal<Vec<Rule>>,
    pub(super) selected: RwSignal<Option<usize>>,
    pub(super) selected_rule: RwSignal<Option<usize>>,
    pub(super) data_source_names: RwSignal<BTreeMap<i32, String>>,
    /// Changed since the last successful save.
    pub(super) dirty: RwSignal<bool>,
}

impl Draft {
    fn definition(&self) -> FormDefinition {
        FormDefinition {
            fields: self.fields.get_untracked(),
            rules: self.rules.get_untracked(),
        }
    }

    fn update(&self, i: usize, change: impl FnOnce(&mut FieldDefinition)) {
        self.fields.update(|fields| {
            if let Some(f) = fields.get_mut(i) {
                change(f);
            }
        });
        self.dirty.set(true);
    }

    /// The rules keep naming a field the designer renamed from `old` (its trigger, conditions,
    /// templates …). Called when the designer leaves the title or name box, with the name it had when
    /// they entered it, so the names typed on the way (blank, or another field's) never count.
    fn follow_rename(&self, old: &str, new: &str) {
        let mut rules = self.rules.get_untracked();
        self.fields.with_untracked(|fields| {
            let facts: Vec<FieldFacts> = fields
                .iter()
                .map(|f| FieldFacts {
                    name: &f.name,
                    kind: &f.kind,
                })
                .collect();
            rename_field(&mut rules, &facts, old, new);
        });
        if self.rules.with_untracked(|r| *r != rules) {
            self.rules.set(rules);
        }
    }

    fn list(&self, i: usize, change: impl FnOnce(&mut ListField)) {
        self.update(i, |f| {
            if let FieldKind::List(list) = &mut f.kind {
                change(list);
            }
        });
    }

    fn data_source(&self, i: usize, change: impl FnOnce(&mut DataSourceList)) {
        self.list(i, |l| {
            if let ListSource::DataSource(ds) = &mut l.source {
                change(ds);
            }
        });
    }

    pub(super) fn field<T>(&self, i: usize, read: impl Fn(&FieldDefinition) -> T) -> Option<T> {
        self.fields.with(|fields| fields.get(i).map(&read))
    }

    /// Changes field `i`'s Save location, when it is a File upload saving to a data source.
    fn save_to(&self, i: usize, change: impl FnOnce(&mut SaveToDataSource)) {
        self.update(i, |f| {
            if let FieldKind::FileUpload(UploadField {
                save_to: SaveLocation::DataSource(save),
            }) = &mut f.kind
            {
                change(save);
            }
        });
    }

    fn table(&self, i: usize, change: impl FnOnce(&mut TableField)) {
        self.update(i, |f| {
            if let FieldKind::Table(t) = &mut f.kind {
                change(t);
            }
        });
    }

    /// Opens field `i`'s properties (closing a rule's).
    fn select_field(&self, i: Option<usize>) {
        self.selected_rule.set(None);
        self.selected.set(i);
        if i.is_some() {
            show_properties_when_stacked();
        }
    }

    /// Opens rule `i`'s editor (closing a field's).
    pub(super) fn select_rule(&self, i: Option<usize>) {
        self.selected.set(None);
        self.selected_rule.set(i);
        if i.is_some() {
            show_properties_when_stacked();
        }
    }

    pub(super) fn rule<T>(&self, i: usize, read: impl Fn(&Rule) -> T) -> Option<T> {
        self.rules.with(|rules| rules.get(i).map(&read))
    }

    pub(super) fn update_rule(&self, i: usize, change: impl FnOnce(&mut Rule)) {
        self.rules.update(|rules| {
            if let Some(r) = rules.get_mut(i) {
                change(r);
            }
        });
        self.dirty.set(true);
    }
}

/// On a narrow screen the Properties column is below the lists: bring it into view, or choosing
/// a field or rule would seem to do nothing. (No window on the server: nothing to do.)
fn show_properties_when_stacked() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let narrow = window
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w <= 760.0);
    if narrow
        && let Some(el) = window
            .document()
            .and_then(|d| d.get_element_by_id("designer-properties"))
    {
        el.scroll_into_view_with_bool(true);
    }
}

#[component]
fn Designer(form: FormView) -> impl IntoView {
    let id = form.row.id;
    let draft = Draft {
        title: RwSignal::new(form.row.title.clone()),
        fields: RwSignal::new(form.draft.fields),
        rules: RwSignal::new(form.draft.rules),
        selected: RwSignal::new(None),
        selected_rule: RwSignal::new(None),
        data_source_names: RwSignal::new(form.data_source_names),
        dirty: RwSignal::new(false),
    };
    let row = RwSignal::new(form.row);
    let toasts = use_toasts();
    let save = ServerAction::<SaveForm>::new();
    let publish = ServerAction::<PublishForm>::new();
    // Publish saves first, then publishes what was saved.
    let publish_after_save = RwSignal::new(false);
    let problems = Memo::new(move |_| {
        FormDefinition {
            fields: draft.fields.get(),
            rules: draft.rules.get(),
        }
        .problems()
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => {
            draft.dirty.set(false);
            row.update(|r| {
                r.title = draft.title.get_untracked();
                r.unpublished_changes = true;
            });
            if publish_after_save.get_untracked() {
                publish_after_save.set(false);
                publish.dispatch(PublishForm { id });
            } else {
                toasts.success("Form saved.");
            }
        }
        Some(Err(e)) => {
            publish_after_save.set(false);
            if let AppError::Validation { fields, .. } = &e {
                if let Some(i) = fields
                    .keys()
                    .find_map(|f| f.strip_prefix("field-")?.parse().ok())
                {
                    draft.select_field(Some(i));
                } else if let Some(i) = fields
                    .keys()
                    .find_map(|f| f.strip_prefix("rule-")?.parse().ok())
                {
                    draft.select_rule(Some(i));
                }
            }
            toasts.error(e.to_string());
        }
        None => {}
    });
    Effect::new(move |_| match publish.value().get() {
        Some(Ok(version)) => {
            row.update(|r| {
                r.version = version;
                r.unpublished_changes = false;
            });
            toasts.success(format!("Published as version {version}."));
        }
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });
    let dispatch_save = move || {
        save.dispatch(SaveForm {
            id,
            title: draft.title.get_untracked(),
            draft: draft.definition(),
        });
    };
    let busy = move || save.pending().get() || publish.pending().get();
    let blocked =
        move || !problems.with(Vec::is_empty) || draft.title.with(|t| t.trim().is_empty());
    view! {
        <Title text=move || draft.title.get()/>
        <div class="section-head">
            <h1>{move || draft.title.get()}</h1>
            <span class="badge" data-testid="form-status">{move || row.with(status_label)}</span>
        </div>
        <div class="toolbar" role="toolbar" aria-label="Form">
            <button class="button primary" data-testid="save-form" disabled=move || busy() || blocked()
                on:click=move |_| dispatch_save()>"Save"</button>
            <A href=format!("/forms/{id}/fill?preview=1") attr:class="button" attr:data-testid="preview-form"
                attr:aria-disabled=move || draft.dirty.get().to_string()
                attr:title=move || if draft.dirty.get() { "Save first: Preview shows the saved draft." } else { "" }>
                "Preview"
            </A>
            <button class="button" data-testid="publish-form" disabled=move || busy() || blocked() || draft.fields.with(Vec::is_empty)
                on:click=move |_| { publish_after_save.set(true); dispatch_save(); }>"Publish"</button>
            <A href=format!("/forms/{id}/submissions") attr:class="button">"Submissions"</A>
            <A href=format!("/forms/{id}/runs") attr:class="button" attr:data-testid="run-log">"Run log"</A>
            <A href="/forms" attr:class="button">"Close"</A>
        </div>
        <div class="field">
            <label for="form-title">"Title"</label>
            <input id="form-title" maxlength="200" prop:value=move || draft.title.get()
                on:input=move |ev| { draft.title.set(event_target_value(&ev)); draft.dirty.set(true); }/>
        </div>
        <div class="designer-columns">
            <div class="designer-fields">
                <h2>"Fields"</h2>
                <FieldList draft problems/>
                <AddField draft/>
                <RulesPanel draft problems/>
            </div>
            <div class="designer-properties" id="designer-properties">
                {move || match (draft.selected.get(), draft.selected_rule.get()) {
                    (Some(i), _) if i < draft.fields.with_untracked(Vec::len) => view! { <FieldProperties draft i problems/> }.into_any(),
                    (_, Some(i)) if i < draft.rules.with_untracked(Vec::len) => view! { <RuleEditor draft i problems/> }.into_any(),
                    _ => view! { <p class="muted">"Choose a field or a rule to edit its properties, or add one."</p> }.into_any(),
                }}
            </div>
        </div>
        <DeleteFormPanel id/>
    }
    .into_any()
}

#[component]
fn FieldList(
    draft: Draft,
    problems: Memo<Vec<wharf_types::forms::DefinitionProblem>>,
) -> impl IntoView {
    let count = move || draft.fields.with(Vec::len);
    let swap = move |a: usize, b: usize| {
        draft.fields.update(|f| f.swap(a, b));
        draft.selected.update(|s| {
            if *s == Some(a) {
                *s = Some(b);
            } else if *s == Some(b) {
                *s = Some(a);
            }
        });
        draft.dirty.set(true);
    };
    view! {
        <Show when=move || count() == 0>
            <p class="muted">"No fields yet."</p>
        </Show>
        <ol class="field-list" data-testid="field-list">
            {move || (0..count()).map(|i| {
                let title = draft.field(i, |f| f.title.clone()).unwrap_or_default();
                let name = draft.field(i, |f| f.name.clone()).unwrap_or_default();
                let kind = draft.field(i, |f| f.kind.label()).unwrap_or_default();
                let required = draft.field(i, |f| f.required).unwrap_or(false);
                let has_problem = problems.with(|p| p.iter().any(|p| p.field == Some(i)));
                let last = i + 1 == count();
                view! {
                    <li class="field-item" class:selected=move || draft.selected.get() == Some(i)
                        class:has-problem=has_problem data-field=name.clone()>
                        <button class="field-summary" on:click=move |_| draft.select_field(Some(i))
                            aria-label=format!("Edit {title}")>
                            <strong>{title.clone()}</strong>
                            <span class="muted">{format!(" {name} · {kind}")}</span>
                            {required.then(|| view! { <span class="badge">"Required"</span> })}
                        </button>
                        <span class="field-actions">
                            <button class="button subtle" aria-label=format!("Move {title} up") disabled={i == 0}
                                on:click=move |_| swap(i, i - 1)><Icon name=IconName::ChevronUp/></button>
                            <button class="button subtle" aria-label=format!("Move {title} down") disabled=last
                                on:click=move |_| swap(i, i + 1)><Icon name=IconName::ChevronDown/></button>
                            <button class="button subtle" aria-label=format!("Remove {title}")
                                on:click=move |_| {
                                    draft.fields.update(|f| { f.remove(i); });
                                    draft.selected.set(None);
                                    draft.dirty.set(true);
                                }>"Remove"</button>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

#[component]
fn AddField(draft: Draft) -> impl IntoView {
    let add = move |mut kind: FieldKind| {
        draft.fields.update(|fields| {
            let n = fields.len() + 1;
            let title = format!("{} {n}", kind.label());
            // Start from something valid: a button says its title, a table has one column.
            match &mut kind {
                FieldKind::Button(b) => b.label = title.clone(),
                FieldKind::Table(t) => t.columns.push(new_column(&[])),
                _ => {}
            }
            let mut name = identifier_from(&title);
            while fields.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
                name.push('_');
            }
            fields.push(FieldDefinition {
                title,
                name,
                help: String::new(),
                required: false,
                enabled: true,
                visible: true,
                kind,
            });
            draft.select_field(Some(fields.len() - 1));
        });
        draft.dirty.set(true);
    };
    view! {
        <div class="add-field" role="group" aria-label="Add a field">
            <span class="muted">"Add: "</span>
            <button class="button" on:click=move |_| add(FieldKind::Text)>"Text"</button>
            <button class="button" on:click=move |_| add(FieldKind::Number)>"Number"</button>
            <button class="button" on:click=move |_| add(FieldKind::Date)>"Date"</button>
            <button class="button" on:click=move |_| add(FieldKind::List(ListField::default()))>"List"</button>
            <button class="button" on:click=move |_| add(FieldKind::FileUpload(Default::default()))>"File upload"</button>
            <button class="button" data-testid="add-button-field" on:click=move |_| add(FieldKind::Button(ButtonField { label: String::new() }))>"Button"</button>
            <button class="button" data-testid="add-table-field" on:click=move |_| add(FieldKind::Table(TableField::default()))>"Table"</button>
        </div>
    }
}

#[component]
fn FieldProperties(
    draft: Draft,
    i: usize,
    problems: Memo<Vec<wharf_types::forms::DefinitionProblem>>,
) -> impl IntoView {
    let text = move |read: fn(&FieldDefinition) -> &String| {
        move || draft.field(i, |f| read(f).clone()).unwrap_or_default()
    };
    let flag =
        move |read: fn(&FieldDefinition) -> bool| move || draft.field(i, read).unwrap_or(false);
    // The name the rules know the field by, from when the designer entered the title or name box.
    let name_before = StoredValue::new(None::<String>);
    let remember_name = move || name_before.set_value(draft.field(i, |f| f.name.clone()));
    let follow_rename = move || {
        let now = draft.field(i, |f| f.name.clone());
        if let (Some(before), Some(now)) = (name_before.get_value(), now) {
            draft.follow_rename(&before, &now);
            name_before.set_value(Some(now));
        }
    };
    let set_title = move |title: String| {
        draft.update(i, |f| {
            // The name follows the title until the designer changes it.
            if f.name == identifier_from(&f.title) {
                f.name = identifier_from(&title);
            }
            f.title = title;
        })
    };
    let kind_is = move |test: fn(&FieldKind) -> bool| {
        move || draft.field(i, |f| test(&f.kind)).unwrap_or(false)
    };
    let is_list = kind_is(|k| matches!(k, FieldKind::List(_)));
    let is_button = kind_is(|k| matches!(k, FieldKind::Button(_)));
    let is_table = kind_is(|k| matches!(k, FieldKind::Table(_)));
    let is_upload = kind_is(|k| matches!(k, FieldKind::FileUpload(_)));
    let messages = move || {
        problems.with(|p| {
            p.iter()
                .filter(|p| p.field == Some(i))
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <h2>"Properties"</h2>
        <div class="problems" role="alert" data-testid="field-problems">
            {move || messages().into_iter().map(|m| view! { <p class="form-error">{m}</p> }).collect_view()}
        </div>
        <div class="field">
            <label for="prop-title">"Title"</label>
            <input id="prop-title" maxlength="200" prop:value=text(|f| &f.title)
                on:focus=move |_| remember_name() on:change=move |_| follow_rename()
                on:input=move |ev| set_title(event_target_value(&ev))/>
        </div>
        <div class="field">
            <label for="prop-name">"Name"</label>
            <input id="prop-name" maxlength="64" prop:value=text(|f| &f.name)
                on:focus=move |_| remember_name() on:change=move |_| follow_rename()
                on:input=move |ev| { let v = event_target_value(&ev); draft.update(i, |f| f.name = v) }/>
            <p class="hint">"Processes and rules refer to the field by this name: a letter, then letters, digits or _."</p>
        </div>
        <div class="field">
            <label for="prop-help">"Help text"</label>
            <textarea id="prop-help" maxlength="1000" rows="2" prop:value=text(|f| &f.help)
                on:input=move |ev| { let v = event_target_value(&ev); draft.update(i, |f| f.help = v) }></textarea>
        </div>
        <div class="checks">
            <label class="check"><input type="checkbox" id="prop-required" prop:checked=flag(|f| f.required)
                on:change=move |ev| { let on = event_target_checked(&ev); draft.update(i, |f| f.required = on) }/>"Required"</label>
            <label class="check"><input type="checkbox" id="prop-enabled" prop:checked=flag(|f| f.enabled)
                on:change=move |ev| { let on = event_target_checked(&ev); draft.update(i, |f| f.enabled = on) }/>"Enabled"</label>
            <label class="check"><input type="checkbox" id="prop-visible" prop:checked=flag(|f| f.visible)
                on:change=move |ev| { let on = event_target_checked(&ev); draft.update(i, |f| f.visible = on) }/>"Visible"</label>
        </div>
        <Show when=is_list>
            <ListProperties draft i/>
        </Show>
        <Show when=is_button>
            <ButtonProperties draft i/>
        </Show>
        <Show when=is_table>
            <TableProperties draft i/>
        </Show>
        <Show when=is_upload>
            <UploadProperties draft i/>
        </Show>
    }
    .into_any()
}

/// A File upload field's Save location: kept by Wharf, or saved into a data source folder when the
/// form is submitted (file name and what a taken name does).
#[component]
fn UploadProperties(draft: Draft, i: usize) -> impl IntoView {
    let save = Memo::new(move |_| {
        draft
            .field(i, |f| match &f.kind {
                FieldKind::FileUpload(UploadField {
                    save_to: SaveLocation::DataSource(save),
                }) => Some(save.clone()),
                _ => None,
            })
            .flatten()
    });
    let to_data_source = move || save.with(Option::is_some);
    let set_location = move |location: SaveLocation| {
        draft.update(i, |f| {
            if let FieldKind::FileUpload(u) = &mut f.kind {
                u.save_to = location;
            }
        })
    };
    let templated = move || {
        save.with(|s| {
            matches!(
                s,
                Some(SaveToDataSource {
                    name: UploadName::Template(_),
                    ..
                })
            )
        })
    };
    let name_template = move || match save.get() {
        Some(SaveToDataSource {
            name: UploadName::Template(t),
            ..
        }) => t,
        _ => String::new(),
    };
    view! {
        <fieldset class="field" data-testid="save-location">
            <legend>"Save location"</legend>
            <label class="check"><input type="radio" name="save-location" value="wharf" data-testid="save-to-wharf"
                prop:checked=move || !to_data_source()
                on:change=move |_| set_location(SaveLocation::Wharf)/>"Wharf (downloaded from the submission)"</label>
            <label class="check"><input type="radio" name="save-location" value="data-source" data-testid="save-to-data-source"
                prop:checked=to_data_source
                on:change=move |_| set_location(SaveLocation::DataSource(SaveToDataSource::new(0)))/>"A data source folder"</label>
        </fieldset>
        <Show when=to_data_source>
            <DataSourceField draft prefix="save"
                data_source_id=Signal::derive(move || save.with(|s| s.as_ref().map_or(0, |s| s.data_source_id)))
                on_choose=Callback::new(move |id: i32| draft.save_to(i, |s| s.data_source_id = id))/>
            <FolderField id="save-folder" label="Folder" placeholder="/ (the data source's root)"
                hint="Inside the data source's root folder, created when missing; a template may name fields, e.g. Invoices/{Customer}."
                data_source_id=Signal::derive(move || save.with(|s| s.as_ref().map_or(0, |s| s.data_source_id)))
                folder=Signal::derive(move || save.with(|s| s.as_ref().map(|s| s.folder.clone()).unwrap_or_default()))
                on_change=Callback::new(move |v: String| draft.save_to(i, |s| s.folder = v))/>
            <fieldset class="field">
                <legend>"File name"</legend>
                <label class="check"><input type="radio" name="save-name" value="original" data-testid="save-name-original"
                    prop:checked=move || !templated()
                    on:change=move |_| draft.save_to(i, |s| s.name = UploadName::Original)/>"Keep the original name"</label>
                <label class="check"><input type="radio" name="save-name" value="template" data-testid="save-name-template"
                    prop:checked=templated
                    on:change=move |_| draft.save_to(i, |s| s.name = UploadName::Template(String::new()))/>"From a template"</label>
            </fieldset>
            <Show when=templated>
                <div class="field">
                    <label for="save-name">"File name template"</label>
                    <input id="save-name" data-testid="save-name" placeholder="e.g. {Customer} {@today}" prop:value=name_template
                        on:input=move |ev| { let v = event_target_value(&ev); draft.save_to(i, |s| s.name = UploadName::Template(v)) }/>
                    <p class="hint">"The original extension is added when the name has none."</p>
                </div>
            </Show>
            <Choice id="save-conflict" testid="save-conflict" label="When the name is taken" options=conflict_options(&OnConflict::ALL)
                current=Signal::derive(move || save.with(|s| s.as_ref().map(|s| conflict_key(s.on_conflict).to_owned()).unwrap_or_default()))
                on_pick=Callback::new(move |k: String| {
                    if let Some(c) = conflict_of(&k) {
                        draft.save_to(i, |s| s.on_conflict = c);
                    }
                })/>
            <p class="hint">"The files go to the data source when the form is submitted; the person sees them being saved, and the submissions list shows where each one went."</p>
        </Show>
    }
    .into_any()
}

#[component]
fn ButtonProperties(draft: Draft, i: usize) -> impl IntoView {
    let label = move || {
        draft
            .field(i, |f| match &f.kind {
                FieldKind::Button(b) => b.label.clone(),
                _ => String::new(),
            })
            .unwrap_or_default()
    };
    view! {
        <div class="field">
            <label for="prop-button-label">"Label"</label>
            <input id="prop-button-label" data-testid="button-label" maxlength="100" prop:value=label
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    draft.update(i, |f| if let FieldKind::Button(b) = &mut f.kind { b.label = v });
                }/>
            <p class="hint">"Clicking the button runs the rules whose trigger is “When a button is clicked” with this button."</p>
        </div>
    }
}

/// A new column titled "Column n", named after its title, unique among `existing`.
fn new_column(existing: &[TableColumn]) -> TableColumn {
    let mut n = existing.len() + 1;
    loop {
        let title = format!("Column {n}");
        let name = identifier_from(&title);
        if !existing.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return TableColumn {
                name,
                title,
                kind: ColumnKind::Text,
            };
        }
        n += 1;
    }
}

#[component]
fn TableProperties(draft: Draft, i: usize) -> impl IntoView {
    let table = move || {
        draft
            .field(i, |f| match &f.kind {
                FieldKind::Table(t) => Some(t.clone()),
                _ => None,
            })
            .flatten()
            .unwrap_or_default()
    };
    let count = Memo::new(move |_| table().columns.len());
    let column = move |j: usize, read: fn(&TableColumn) -> String| {
        move || table().columns.get(j).map(read).unwrap_or_default()
    };
    let change = move |j: usize, edit: Box<dyn FnOnce(&mut TableColumn)>| {
        draft.table(i, |t| {
            if let Some(c) = t.columns.get_mut(j) {
                edit(c);
            }
        })
    };
    view! {
        <fieldset class="field table-columns">
            <legend>"Columns"</legend>
            <ol class="column-list" data-testid="table-columns">
                {move || (0..count.get()).map(|j| {
                    let last = j + 1 == count.get_untracked();
                    let title = column(j, |c| c.title.clone());
                    let label = move || { let t = title(); if t.is_empty() { format!("column {}", j + 1) } else { t } };
                    view! {
                        <li class="column-item">
                            <div class="field">
                                <label for=format!("col-{j}-title")>"Title"</label>
                                <input id=format!("col-{j}-title") data-testid=format!("column-title-{j}") maxlength="100" prop:value=title
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        // The name follows the title until the designer changes it.
                                        change(j, Box::new(move |c| {
                                            if c.name == identifier_from(&c.title) {
                                                c.name = identifier_from(&v);
                                            }
                                            c.title = v;
                                        }));
                                    }/>
                            </div>
                            <div class="field">
                                <label for=format!("col-{j}-name")>"Name"</label>
                                <input id=format!("col-{j}-name") data-testid=format!("column-name-{j}") maxlength="64" prop:value=column(j, |c| c.name.clone())
                                    on:input=move |ev| { let v = event_target_value(&ev); change(j, Box::new(move |c| c.name = v)); }/>
                            </div>
                            <div class="field">
                                <label for=format!("col-{j}-kind")>"Kind"</label>
                                <select id=format!("col-{j}-kind") data-testid=format!("column-kind-{j}") prop:value=column(j, |c| c.kind.label().to_owned())
                                    on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        if let Some(k) = ColumnKind::ALL.into_iter().find(|k| k.label() == v) {
                                            change(j, Box::new(move |c| c.kind = k));
                                        }
                                    }>
                                    {ColumnKind::ALL.into_iter().map(|k| view! { <option value=k.label()>{k.label()}</option> }).collect_view()}
                                </select>
                            </div>
                            <span class="field-actions">
                                <button type="button" class="button subtle" aria-label=move || format!("Move {} up", label()) disabled={j == 0}
                                    on:click=move |_| draft.table(i, |t| t.columns.swap(j, j - 1))><Icon name=IconName::ChevronUp/></button>
                                <button type="button" class="button subtle" aria-label=move || format!("Move {} down", label()) disabled=last
                                    on:click=move |_| draft.table(i, |t| t.columns.swap(j, j + 1))><Icon name=IconName::ChevronDown/></button>
                                <button type="button" class="button subtle" aria-label=move || format!("Remove {}", label())
                                    on:click=move |_| draft.table(i, |t| { t.columns.remove(j); })>"Remove"</button>
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <button type="button" class="button" data-testid="add-column"
                on:click=move |_| draft.table(i, |t| { let c = new_column(&t.columns); t.columns.push(c); })>"Add column"</button>
        </fieldset>
        <div class="checks">
            <label class="check"><input type="checkbox" id="prop-table-editable" data-testid="table-editable" prop:checked=move || table().editable
                on:change=move |ev| { let on = event_target_checked(&ev); draft.table(i, |t| t.editable = on) }/>"People can edit rows"</label>
        </div>
        <div class="field">
            <label for="prop-page-size">"Rows per page"</label>
            <input id="prop-page-size" class="input-short" type="number" min="1" max="200" step="1" data-testid="table-page-size"
                prop:value=move || table().page_size.to_string()
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                        draft.table(i, |t| t.page_size = n);
                    }
                }/>
        </div>
    }
    .into_any()
}

#[component]
fn ListProperties(draft: Draft, i: usize) -> impl IntoView {
    let list = move || {
        draft
            .field(i, |f| match &f.kind {
                FieldKind::List(l) => Some(l.clone()),
                _ => None,
            })
            .flatten()
            .unwrap_or_default()
    };
    let from_data_source = move || matches!(list().source, ListSource::DataSource(_));
    let choosing = RwSignal::new(false);
    let manual_text = move || match list().source {
        ListSource::Manual { options } => options.join("\n"),
        ListSource::DataSource(_) => String::new(),
    };
    let current_format = move || format_key(list().format);
    view! {
        <fieldset class="field">
            <legend>"List source"</legend>
            <label class="check"><input type="radio" name="list-source" value="manual" prop:checked=move || !from_data_source()
                on:change=move |_| draft.list(i, |l| l.source = ListSource::Manual { options: Vec::new() })/>"Entered manually"</label>
            <label class="check"><input type="radio" name="list-source" value="data-source" data-testid="source-data-source" prop:checked=from_data_source
                on:change=move |_| choosing.set(true)/>"Data source"</label>
        </fieldset>
        <Show when=move || !from_data_source()>
            <div class="field">
                <label for="prop-options">"Options (one per line)"</label>
                <textarea id="prop-options" rows="5" prop:value=manual_text
                    on:change=move |ev| {
                        let options = event_target_value(&ev).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
                        draft.list(i, |l| l.source = ListSource::Manual { options });
                    }></textarea>
            </div>
        </Show>
        <Show when=from_data_source>
            <DataSourceProperties draft i choosing/>
        </Show>
        <div class="field">
            <label for="prop-format">"Display format"</label>
            <select id="prop-format" prop:value=current_format
                on:change=move |ev| {
                    let format = format_of(&event_target_value(&ev));
                    draft.list(i, |l| l.format = format);
                }>
                <option value="dropdown-starts">"Drop-down list (filter: starts with)"</option>
                <option value="dropdown-contains">"Drop-down list (filter: contains)"</option>
                <option value="radio">"Radio list"</option>
                <option value="multi">"Multi-select"</option>
                <option value="checkbox">"Checkbox list"</option>
                <option value="browser">"File browser"</option>
            </select>
        </div>
        <Show when=move || choosing.get()>
            <DataSourceChooser open=choosing on_choose=Callback::new(move |(id, name): (i32, String)| {
                draft.data_source_names.update(|n| {
                    n.insert(id, name);
                });
                draft.list(i, |l| {
                    let keep = matches!(&l.source, ListSource::DataSource(d) if d.data_source_id == id);
                    if !keep {
                        l.source = ListSource::DataSource(DataSourceList::new(id));
                    }
                });
            })/>
        </Show>
    }
    .into_any()
}

fn format_key(format: ListFormat) -> &'static str {
    match format {
        ListFormat::DropDown {
            filter: FilterMode::StartsWith,
        } => "dropdown-starts",
        ListFormat::DropDown {
            filter: FilterMode::Contains,
        } => "dropdown-contains",
        ListFormat::RadioList => "radio",
        ListFormat::MultiSelect => "multi",
        ListFormat::CheckboxList => "checkbox",
        ListFormat::FileBrowser => "browser",
    }
}

fn format_of(key: &str) -> ListFormat {
    match key {
        "dropdown-contains" => ListFormat::DropDown {
            filter: FilterMode::Contains,
        },
        "radio" => ListFormat::RadioList,
        "multi" => ListFormat::MultiSelect,
        "checkbox" => ListFormat::CheckboxList,
        "browser" => ListFormat::FileBrowser,
        _ => ListFormat::DropDown {
            filter: FilterMode::StartsWith,
        },
    }
}

#[component]
fn DataSourceProperties(draft: Draft, i: usize, choosing: RwSignal<bool>) -> impl IntoView {
    let ds = move || {
        draft
            .field(i, |f| match &f.kind {
                FieldKind::List(ListField {
                    source: ListSource::DataSource(ds),
                    ..
                }) => Some(ds.clone()),
                _ => None,
            })
            .flatten()
    };
    let name = move || {
        ds().map(|d| {
            draft
                .data_source_names
                .with(|n| n.get(&d.data_source_id).cloned())
                .unwrap_or_else(|| format!("Data source {}", d.data_source_id))
        })
    };
    let choosing_folder = RwSignal::new(false);
    let parameter_select =
        move |id: &'static str,
              label: &'static str,
              read: fn(&DataSourceList) -> FileParameter,
              write: fn(&mut DataSourceList, FileParameter)| {
            view! {
                <div class="field">
                    <label for=id>{label}</label>
                    <select id=id prop:value=move || ds().map(|d| read(&d).as_str()).unwrap_or_default()
                        on:change=move |ev| {
                            if let Some(p) = FileParameter::parse(&event_target_value(&ev)) {
                                draft.data_source(i, |d| write(d, p));
                            }
                        }>
                        {FileParameter::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> }).collect_view()}
                    </select>
                </div>
            }
        };
    view! {
        <div class="field">
            <span class="label">"Data source"</span>
            <p>
                <strong data-testid="chosen-data-source">{move || name().unwrap_or_else(|| "None chosen".into())}</strong>
                " "
                <button type="button" class="button" on:click=move |_| choosing.set(true)>"Select data source"</button>
            </p>
        </div>
        {parameter_select("prop-display", "Display field", |d| d.display_field, |d, p| d.display_field = p)}
        {parameter_select("prop-value", "Value field", |d| d.value_field, |d, p| d.value_field = p)}
        {parameter_select("prop-sort", "Sort by", |d| d.sort_by, |d, p| d.sort_by = p)}
        <div class="field">
            <label for="prop-direction">"Direction"</label>
            <select id="prop-direction"
                prop:value=move || if ds().is_some_and(|d| d.direction == SortDirection::Descending) { "desc" } else { "asc" }
                on:change=move |ev| {
                    let dir = if event_target_value(&ev) == "desc" { SortDirection::Descending } else { SortDirection::Ascending };
                    draft.data_source(i, |d| d.direction = dir);
                }>
                <option value="asc">"Ascending"</option>
                <option value="desc">"Descending"</option>
            </select>
        </div>
        <p class="hint">"Created is the time of the file's earliest revision Dropbox still lists (Dropbox keeps a file's revisions for 30 days or more, up to 100 are read)."</p>
        <div class="field">
            <label for="prop-folder">"Folder"</label>
            <div class="inline-form">
                <input id="prop-folder" placeholder="/ (the data source's root)" prop:value=move || ds().map(|d| d.folder).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); draft.data_source(i, |d| d.folder = v) }/>
                <button type="button" class="button" on:click=move |_| choosing_folder.set(true)>"Choose…"</button>
            </div>
            <p class="hint">"Inside the data source's root folder."</p>
        </div>
        <div class="field">
            <label for="prop-extensions">"File extensions allowed"</label>
            <input id="prop-extensions" placeholder="e.g. pdf, docx (blank: every file)"
                prop:value=move || ds().map(|d| d.extensions.join(", ")).unwrap_or_default()
                on:change=move |ev| { let v = parse_extensions(&event_target_value(&ev)); draft.data_source(i, |d| d.extensions = v) }/>
        </div>
        <div class="checks">
            <label class="check"><input type="checkbox" id="prop-subfolders" prop:checked=move || ds().is_some_and(|d| d.include_subfolders)
                on:change=move |ev| { let on = event_target_checked(&ev); draft.data_source(i, |d| d.include_subfolders = on) }/>"Include subfolders"</label>
            <label class="check"><input type="checkbox" id="prop-show-folders" prop:checked=move || ds().is_some_and(|d| d.show_folders)
                on:change=move |ev| { let on = event_target_checked(&ev); draft.data_source(i, |d| d.show_folders = on) }/>"Show folders (folders can be chosen)"</label>
        </div>
        <div class="field">
            <label for="prop-max-size">"Maximum size (MB)"</label>
            <input id="prop-max-size" class="input-short" type="number" min="0" step="any" placeholder="no limit"
                prop:value=move || ds().and_then(|d| d.max_size).map(|b| format!("{}", b as f64 / 1_048_576.0)).unwrap_or_default()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let bytes = v.trim().parse::<f64>().ok().filter(|mb| mb.is_finite() && *mb >= 0.0).map(|mb| (mb * 1_048_576.0).round() as u64);
                    draft.data_source(i, |d| d.max_size = bytes);
                }/>
        </div>
        <Show when=move || choosing_folder.get()>
            {move || ds().map(|d| view! {
                <FolderChooser data_source_id=d.data_source_id start=d.folder.clone() open=choosing_folder
                    on_choose=Callback::new(move |path: String| draft.data_source(i, |d| d.folder = path))/>
            })}
        </Show>
    }
    .into_any()
}

#[component]
fn DeleteFormPanel(id: i32) -> impl IntoView {
    let delete = ServerAction::<DeleteForm>::new();
    view! {
        <DeletePanel
            title="Delete form"
            explanation="Its submissions are deleted with it."
            question="Delete this form and all its submissions? This cannot be undone."
            done="Form deleted."
            then_go="/forms"
            answer=delete.value()
            pending=delete.pending()
            on_confirm=Callback::new(move |()| { delete.dispatch(DeleteForm { id }); })
        />
    }
}
