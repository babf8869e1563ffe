//! The Find items part of the rule editor: where to look (data source, folder), which files
//! (filters, sort, max rows), where the results go (a Table field and/or the first match into
//! fields) and what success, an error and no match do. The pieces every kind that uses a data
//! source shares — data source, folder, result mappings, reactions — are here too, for
//! `rule_write` and the File upload field's Save location.
use super::designer::Draft;
use super::rule_editor::{
    AssignmentsAt, AssignmentsEditor, Choice, OperandInput, Options, TemplateHelp, field_kinds,
    field_options, plain_options,
};
use crate::components::choosers::{DataSourceChooser, FolderChooser};
use leptos::prelude::*;
use wharf_types::forms::{FieldKind, FileParameter, SortDirection};
use wharf_types::rules::{
    Assignment, ColumnKind, ColumnMapping, FindItems, ItemFilter, ItemSort, MAX_FIND_ROWS, Operand,
    Operator, Reaction, ResultMapping, Rule, RuleAction, TableField, TableMapping, TableMode,
    ValueKind, settable,
};

fn find_of(r: &Rule) -> Option<&FindItems> {
    match &r.action {
        RuleAction::FindItems(f) => Some(f),
        _ => None,
    }
}

fn find_of_mut(r: &mut Rule) -> Option<&mut FindItems> {
    match &mut r.action {
        RuleAction::FindItems(f) => Some(f),
        _ => None,
    }
}

/// The rule's On success (`success`) or On error reaction, for the kinds that have them.
fn reaction(r: &Rule, success: bool) -> Option<&Reaction> {
    let (on_success, on_error) = match &r.action {
        RuleAction::FindItems(f) => (&f.on_success, &f.on_error),
        RuleAction::CreateItem(c) => (&c.on_success, &c.on_error),
        RuleAction::UpdateItem(u) => (&u.on_success, &u.on_error),
        RuleAction::DeleteItem(d) => (&d.on_success, &d.on_error),
        RuleAction::SetField(_) | RuleAction::ShowMessage(_) => return None,
    };
    Some(if success { on_success } else { on_error })
}

fn reaction_mut(r: &mut Rule, success: bool) -> Option<&mut Reaction> {
    let (on_success, on_error) = match &mut r.action {
        RuleAction::FindItems(f) => (&mut f.on_success, &mut f.on_error),
        RuleAction::CreateItem(c) => (&mut c.on_success, &mut c.on_error),
        RuleAction::UpdateItem(u) => (&mut u.on_success, &mut u.on_error),
        RuleAction::DeleteItem(d) => (&mut d.on_success, &mut d.on_error),
        RuleAction::SetField(_) | RuleAction::ShowMessage(_) => return None,
    };
    Some(if success { on_success } else { on_error })
}

fn on_success(r: &Rule) -> Option<&Vec<Assignment>> {
    reaction(r, true).map(|x| &x.assignments)
}
fn on_success_mut(r: &mut Rule) -> Option<&mut Vec<Assignment>> {
    reaction_mut(r, true).map(|x| &mut x.assignments)
}
fn on_error(r: &Rule) -> Option<&Vec<Assignment>> {
    reaction(r, false).map(|x| &x.assignments)
}
fn on_error_mut(r: &mut Rule) -> Option<&mut Vec<Assignment>> {
    reaction_mut(r, false).map(|x| &mut x.assignments)
}

/// Where a rule's item parameters go: Find's first match, Create's and Update's result.
fn results(r: &Rule) -> Option<&Vec<ResultMapping>> {
    match &r.action {
        RuleAction::FindItems(f) => Some(&f.first_match),
        RuleAction::CreateItem(c) => Some(&c.result),
        RuleAction::UpdateItem(u) => Some(&u.result),
        _ => None,
    }
}

fn results_mut(r: &mut Rule) -> Option<&mut Vec<ResultMapping>> {
    match &mut r.action {
        RuleAction::FindItems(f) => Some(&mut f.first_match),
        RuleAction::CreateItem(c) => Some(&mut c.result),
        RuleAction::UpdateItem(u) => Some(&mut u.result),
        _ => None,
    }
}

fn parameter_options() -> Signal<Options> {
    Signal::derive(|| plain_options(FileParameter::ALL.iter().map(|p| p.as_str())))
}

/// Columns mapped to the parameter of the same name (a File column to the file itself).
fn mapped_columns(table: &TableField) -> Vec<ColumnMapping> {
    table
        .columns
        .iter()
        .filter_map(|c| {
            let parameter = if c.kind == ColumnKind::File {
                Some(FileParameter::Name)
            } else {
                FileParameter::ALL.into_iter().find(|p| {
                    p.as_str().eq_ignore_ascii_case(&c.name)
                        || p.as_str().eq_ignore_ascii_case(&c.title)
                })
            };
            parameter.map(|parameter| ColumnMapping {
                column: c.name.clone(),
                parameter,
            })
        })
        .collect()
}

/// The data source a rule or field uses: its name and "Select data source", which opens the
/// chooser. Ids: `{prefix}-data-source` (the name), `{prefix}-choose-data-source` (the button).
#[component]
pub(super) fn DataSourceField(
    draft: Draft,
    prefix: &'static str,
    #[prop(into)] data_source_id: Signal<i32>,
    on_choose: Callback<i32>,
) -> impl IntoView {
    let choosing = RwSignal::new(false);
    let name = move || {
        let id = data_source_id.get();
        if id <= 0 {
            return "None chosen".to_owned();
        }
        draft
            .data_source_names
            .with(|n| n.get(&id).cloned())
            .unwrap_or_else(|| format!("Data source {id}"))
    };
    view! {
        <div class="field">
            <span class="label">"Data source"</span>
            <p>
                <strong data-testid=format!("{prefix}-data-source")>{name}</strong>
                " "
                <button type="button" class="button" data-testid=format!("{prefix}-choose-data-source")
                    on:click=move |_| choosing.set(true)>"Select data source"</button>
            </p>
        </div>
        <Show when=move || choosing.get()>
            <DataSourceChooser open=choosing on_choose=Callback::new(move |(id, name): (i32, String)| {
                draft.data_source_names.update(|n| {
                    n.insert(id, name);
                });
                on_choose.run(id);
            })/>
        </Show>
    }
}

/// A folder template inside a data source, typed or picked with "Choose…" (the folder chooser,
/// once a data source is chosen). `id` is the input's id and test id.
#[component]
pub(super) fn FolderField(
    id: &'static str,
    #[prop(into)] label: String,
    #[prop(into)] placeholder: String,
    #[prop(into)] hint: String,
    #[prop(into)] data_source_id: Signal<i32>,
    #[prop(into)] folder: Signal<String>,
    on_change: Callback<String>,
) -> impl IntoView {
    let choosing = RwSignal::new(false);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="inline-form">
                <input id=id data-testid=id placeholder=placeholder prop:value=folder
                    on:input=move |ev| on_change.run(event_target_value(&ev))/>
                <button type="button" class="button" disabled=move || data_source_id.get() <= 0
                    on:click=move |_| choosing.set(true)>"Choose…"</button>
            </div>
            <p class="hint">{hint}</p>
        </div>
        <Show when=move || choosing.get()>
            {move || (data_source_id.get() > 0).then(|| view! {
                <FolderChooser data_source_id=data_source_id.get_untracked() start=folder.get_untracked() open=choosing on_choose=on_change/>
            })}
        </Show>
    }
}

/// On success and On error: fields set and a message (a template) each. Test ids `success-…`,
/// `error-…`.
#[component]
pub(super) fn ReactionsEditor(draft: Draft, i: usize) -> impl IntoView {
    let message = move |success: bool| {
        move || {
            draft
                .rule(i, |r| reaction(r, success).map(|x| x.message.clone()))
                .flatten()
                .unwrap_or_default()
        }
    };
    let set_message = move |success: bool, text: String| {
        draft.update_rule(i, |r| {
            if let Some(x) = reaction_mut(r, success) {
                x.message = text
            }
        })
    };
    view! {
        <h3 class="rule-subhead">"On success"</h3>
        <AssignmentsEditor draft i prefix="success" add_label="Add field to set on success"
            at=AssignmentsAt { get: on_success, get_mut: on_success_mut }/>
        <div class="field">
            <label for="success-message">"Message on success"</label>
            <input id="success-message" data-testid="success-message" placeholder="blank: no message"
                prop:value=message(true) on:input=move |ev| set_message(true, event_target_value(&ev))/>
        </div>
        <h3 class="rule-subhead">"On error"</h3>
        <AssignmentsEditor draft i prefix="error" add_label="Add field to set on error"
            at=AssignmentsAt { get: on_error, get_mut: on_error_mut }/>
        <div class="field">
            <label for="error-message">"Message on error"</label>
            <input id="error-message" data-testid="error-message" placeholder="blank: the error's own sentence"
                prop:value=message(false) on:input=move |ev| set_message(false, event_target_value(&ev))/>
        </div>
    }
}

#[component]
pub(super) fn FindItemsEditor(draft: Draft, i: usize) -> impl IntoView {
    let fields = field_kinds(draft);
    let find = move || draft.rule(i, |r| find_of(r).cloned()).flatten();
    let change = move |edit: Box<dyn FnOnce(&mut FindItems)>| {
        draft.update_rule(i, |r| {
            if let Some(f) = find_of_mut(r) {
                edit(f)
            }
        })
    };
    let data_source_id = Memo::new(move |_| find().map_or(0, |f| f.data_source_id));
    let filters = Memo::new(move |_| find().map_or(0, |f| f.filters.len()));
    let sorted = Memo::new(move |_| find().and_then(|f| f.sort).is_some());
    let sort_options = Signal::derive(|| {
        let mut o = vec![("".to_owned(), "None (Dropbox's order)".to_owned())];
        o.extend(plain_options(FileParameter::ALL.iter().map(|p| p.as_str())));
        o
    });
    let directions = Signal::derive(|| {
        vec![
            ("asc".to_owned(), "Ascending".to_owned()),
            ("desc".to_owned(), "Descending".to_owned()),
        ]
    });
    let to_table = Memo::new(move |_| find().is_some_and(|f| f.table.is_some()));
    let first_match = Memo::new(move |_| find().is_some_and(|f| !f.first_match.is_empty()));
    let table_fields = field_options(fields, |k| matches!(k, FieldKind::Table(_)));
    view! {
        <fieldset class="rule-section">
            <legend>"Find items"</legend>
            <DataSourceField draft prefix="find" data_source_id
                on_choose=Callback::new(move |id: i32| change(Box::new(move |f| f.data_source_id = id)))/>
            <FolderField id="find-folder" label="Folder" placeholder="/ (the data source's root)"
                hint="Inside the data source's root folder; a template may name fields, e.g. Invoices/{Customer}."
                data_source_id folder=Signal::derive(move || find().map(|f| f.folder).unwrap_or_default())
                on_change=Callback::new(move |v: String| change(Box::new(move |f| f.folder = v)))/>
            <div class="checks">
                <label class="check"><input type="checkbox" id="find-subfolders" data-testid="find-subfolders"
                    prop:checked=move || find().is_some_and(|f| f.include_subfolders)
                    on:change=move |ev| { let on = event_target_checked(&ev); change(Box::new(move |f| f.include_subfolders = on)) }/>"Include sub-folders"</label>
            </div>
            <h3 class="rule-subhead">"Filters"</h3>
            <p class="hint">"Every filter must hold."</p>
            {move || (0..filters.get()).map(|k| view! { <FilterEditor draft i k fields/> }).collect_view()}
            <button type="button" class="button" data-testid="add-filter"
                on:click=move |_| change(Box::new(|f| f.filters.push(ItemFilter {
                    parameter: FileParameter::Name,
                    operator: Operator::Contains,
                    value: Operand::Text(String::new()),
                })))>"Add filter"</button>
            <div class="rule-row">
                <Choice id="find-sort" testid="find-sort" label="Sort by" options=sort_options
                    current=Signal::derive(move || find().and_then(|f| f.sort).map(|s| s.parameter.as_str().to_owned()).unwrap_or_default())
                    on_pick=Callback::new(move |p: String| {
                        let parameter = FileParameter::parse(&p);
                        change(Box::new(move |f| {
                            f.sort = parameter.map(|parameter| ItemSort {
                                parameter,
                                direction: f.sort.map_or(SortDirection::Ascending, |s| s.direction),
                            })
                        }))
                    })/>
                <Show when=move || sorted.get()>
                    <Choice id="find-direction" testid="find-direction" label="Direction" options=directions
                        current=Signal::derive(move || if find().and_then(|f| f.sort).is_some_and(|s| s.direction == SortDirection::Descending) { "desc".to_owned() } else { "asc".to_owned() })
                        on_pick=Callback::new(move |d: String| {
                            let direction = if d == "desc" { SortDirection::Descending } else { SortDirection::Ascending };
                            change(Box::new(move |f| if let Some(s) = &mut f.sort { s.direction = direction }))
                        })/>
                </Show>
                <div class="field">
                    <label for="find-max-rows">"Max rows"</label>
                    <input id="find-max-rows" data-testid="find-max-rows" class="input-short" type="number" min="1" max=MAX_FIND_ROWS step="1"
                        prop:value=move || find().map(|f| f.max_rows.to_string()).unwrap_or_default()
                        on:input=move |ev| {
                            // Unreadable input counts as 0, which the problems list names.
                            let n = event_target_value(&ev).trim().parse::<u32>().unwrap_or(0);
                            change(Box::new(move |f| f.max_rows = n))
                        }/>
                </div>
            </div>
            <p class="hint">"Without a sort, Find stops as soon as it has Max rows; with one, it reads every match first."</p>

            <h3 class="rule-subhead">"Results"</h3>
            <div class="checks">
                <label class="check"><input type="checkbox" id="find-to-table" data-testid="find-to-table" prop:checked=move || to_table.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let first = fields.with_untracked(|f| f.iter().find_map(|(n, k)| match k {
                            FieldKind::Table(t) => Some((n.clone(), mapped_columns(t))),
                            _ => None,
                        }));
                        change(Box::new(move |f| {
                            f.table = on.then(|| {
                                let (field, columns) = first.unwrap_or_default();
                                TableMapping { field, columns, mode: TableMode::Override }
                            })
                        }))
                    }/>"Map results to a table"</label>
            </div>
            <Show when=move || to_table.get()>
                <TableMappingEditor draft i fields table_fields/>
            </Show>
            <div class="checks">
                <label class="check"><input type="checkbox" id="find-first-match" data-testid="find-first-match" prop:checked=move || first_match.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let first = fields.with_untracked(|f| f.iter().find(|(_, k)| settable(k)).map(|(n, _)| n.clone())).unwrap_or_default();
                        change(Box::new(move |f| {
                            f.first_match = if on { vec![ResultMapping { field: first, parameter: FileParameter::Name }] } else { Vec::new() }
                        }))
                    }/>"First match into fields"</label>
            </div>
            <Show when=move || first_match.get()>
                <ResultsEditor draft i fields of="match"/>
            </Show>

            <ReactionsEditor draft i/>
            <h3 class="rule-subhead">"No match"</h3>
            <div class="checks">
                <label class="check"><input type="checkbox" id="nomatch-clear" data-testid="nomatch-clear"
                    prop:checked=move || find().is_some_and(|f| f.no_match.clear)
                    on:change=move |ev| { let on = event_target_checked(&ev); change(Box::new(move |f| f.no_match.clear = on)) }/>"Clear the results"</label>
                <label class="check"><input type="checkbox" id="nomatch-error" data-testid="nomatch-error"
                    prop:checked=move || find().is_some_and(|f| f.no_match.is_error)
                    on:change=move |ev| { let on = event_target_checked(&ev); change(Box::new(move |f| f.no_match.is_error = on)) }/>"Treat as an error"</label>
            </div>
            <div class="field">
                <label for="nomatch-message">"Message when nothing matches"</label>
                <input id="nomatch-message" data-testid="nomatch-message" placeholder="blank: no message"
                    prop:value=move || find().map(|f| f.no_match.message).unwrap_or_default()
                    on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |f| f.no_match.message = v)) }/>
            </div>
            <TemplateHelp/>
        </fieldset>
    }
    .into_any()
}

#[component]
fn FilterEditor(
    draft: Draft,
    i: usize,
    k: usize,
    fields: Memo<Vec<(String, FieldKind)>>,
) -> impl IntoView {
    let read = move || {
        draft
            .rule(i, |r| find_of(r).and_then(|f| f.filters.get(k)).cloned())
            .flatten()
    };
    let change = move |edit: Box<dyn FnOnce(&mut ItemFilter)>| {
        draft.update_rule(i, |r| {
            if let Some(filter) = find_of_mut(r).and_then(|f| f.filters.get_mut(k)) {
                edit(filter)
            }
        })
    };
    let parameter = Memo::new(move |_| read().map_or(FileParameter::Name, |f| f.parameter));
    let operators = Signal::derive(move || {
        Operator::for_kind(ValueKind::of_parameter(parameter.get()))
            .iter()
            .map(|o| (o.key().to_owned(), o.label().to_owned()))
            .collect::<Options>()
    });
    let needs_value = Memo::new(move |_| read().is_none_or(|f| f.operator.needs_value()));
    let value_fields = field_options(fields, |k| !matches!(k, FieldKind::Button(_)));
    let id = format!("filter-{k}");
    view! {
        <div class="rule-row filter" data-testid=format!("filter-{k}")>
            <Choice id=format!("{id}-parameter") testid=format!("{id}-parameter") label="Parameter" options=parameter_options()
                current=Signal::derive(move || parameter.get().as_str().to_owned())
                on_pick=Callback::new(move |p: String| {
                    if let Some(p) = FileParameter::parse(&p) {
                        let ops = Operator::for_kind(ValueKind::of_parameter(p));
                        change(Box::new(move |f| {
                            f.parameter = p;
                            if !ops.contains(&f.operator) {
                                f.operator = ops[0];
                            }
                        }))
                    }
                })/>
            <Choice id=format!("{id}-operator") testid=format!("{id}-operator") label="Operator" options=operators
                current=Signal::derive(move || read().map(|f| f.operator.key().to_owned()).unwrap_or_default())
                on_pick=Callback::new(move |o: String| {
                    if let Some(op) = Operator::parse(&o) {
                        change(Box::new(move |f| f.operator = op))
                    }
                })/>
            <Show when=move || needs_value.get()>
                <OperandInput id=format!("{id}-value") label="Value" fields=value_fields
                    value=Signal::derive(move || read().map(|f| f.value).unwrap_or_default())
                    set=Callback::new(move |v: Operand| change(Box::new(move |f| f.value = v)))/>
            </Show>
            <button type="button" class="button subtle" aria-label=format!("Remove filter {}", k + 1)
                on:click=move |_| draft.update_rule(i, |r| {
                    if let Some(f) = find_of_mut(r) && k < f.filters.len() {
                        f.filters.remove(k);
                    }
                })>"Remove"</button>
        </div>
    }
}

#[component]
fn TableMappingEditor(
    draft: Draft,
    i: usize,
    fields: Memo<Vec<(String, FieldKind)>>,
    table_fields: Signal<Options>,
) -> impl IntoView {
    let mapping = move || {
        draft
            .rule(i, |r| find_of(r).and_then(|f| f.table.clone()))
            .flatten()
    };
    let change = move |edit: Box<dyn FnOnce(&mut TableMapping)>| {
        draft.update_rule(i, |r| {
            if let Some(t) = find_of_mut(r).and_then(|f| f.table.as_mut()) {
                edit(t)
            }
        })
    };
    let table_of = move |name: &str| {
        fields.with(|f| {
            f.iter().find_map(|(n, k)| match k {
                FieldKind::Table(t) if n.eq_ignore_ascii_case(name) => Some(t.clone()),
                _ => None,
            })
        })
    };
    let field = Memo::new(move |_| mapping().map(|m| m.field).unwrap_or_default());
    let columns = Memo::new(move |_| {
        table_of(&field.get())
            .map(|t| t.columns)
            .unwrap_or_default()
    });
    let modes = Signal::derive(|| {
        vec![
            (
                "override".to_owned(),
                "Override (replace the rows)".to_owned(),
            ),
            (
                "append".to_owned(),
                "Append (add after the rows)".to_owned(),
            ),
        ]
    });
    let column_options = Signal::derive(|| {
        let mut o = vec![("".to_owned(), "— (not mapped)".to_owned())];
        o.extend(plain_options(FileParameter::ALL.iter().map(|p| p.as_str())));
        o
    });
    view! {
        <div class="rule-subsection">
            <Choice id="table-field" testid="table-field" label="Table field" options=table_fields current=field
                on_pick=Callback::new(move |name: String| {
                    let mapped = table_of(&name).map(|t| mapped_columns(&t)).unwrap_or_default();
                    change(Box::new(move |t| { t.field = name; t.columns = mapped; }))
                })/>
            <Show when=move || table_fields.with(Vec::is_empty)>
                <p class="hint">"Add a Table field first."</p>
            </Show>
            <div class="column-mapping" data-testid="column-mapping" role="group" aria-label="Columns filled from">
                {move || columns.get().into_iter().map(|c| {
                    let name = c.name.clone();
                    let current = {
                        let name = name.clone();
                        Signal::derive(move || mapping()
                            .and_then(|m| m.columns.iter().find(|cm| cm.column == name).map(|cm| cm.parameter.as_str().to_owned()))
                            .unwrap_or_default())
                    };
                    let on_pick = {
                        let name = name.clone();
                        Callback::new(move |p: String| {
                            let name = name.clone();
                            let parameter = FileParameter::parse(&p);
                            change(Box::new(move |t| {
                                t.columns.retain(|cm| cm.column != name);
                                if let Some(parameter) = parameter {
                                    t.columns.push(ColumnMapping { column: name, parameter });
                                }
                            }))
                        })
                    };
                    // A File column holds the file itself; its parameter only says it is mapped.
                    let label = if c.kind == ColumnKind::File {
                        format!("{} (File column: the file itself)", c.title)
                    } else {
                        format!("{} ({})", c.title, c.kind.label())
                    };
                    view! {
                        <Choice id=format!("column-param-{name}") testid=format!("column-param-{name}")
                            label options=column_options current on_pick/>
                    }
                }).collect_view()}
            </div>
            <Choice id="table-mode" testid="table-mode" label="The results" options=modes
                current=Signal::derive(move || if mapping().is_some_and(|m| m.mode == TableMode::Append) { "append".to_owned() } else { "override".to_owned() })
                on_pick=Callback::new(move |m: String| {
                    let mode = if m == "append" { TableMode::Append } else { TableMode::Override };
                    change(Box::new(move |t| t.mode = mode))
                })/>
            <p class="hint">"The table shows its rows a page at a time and loads further pages from the server."</p>
        </div>
    }
}

/// An item's parameters into fields (Find's first match, the item Create or Update wrote). `of`
/// names the item in the labels ("match", "item").
#[component]
pub(super) fn ResultsEditor(
    draft: Draft,
    i: usize,
    fields: Memo<Vec<(String, FieldKind)>>,
    of: &'static str,
) -> impl IntoView {
    let count = Memo::new(move |_| {
        draft
            .rule(i, |r| results(r).map_or(0, Vec::len))
            .unwrap_or(0)
    });
    let read = move |k: usize| {
        draft
            .rule(i, |r| results(r).and_then(|m| m.get(k)).cloned())
            .flatten()
    };
    let change = move |k: usize, edit: Box<dyn FnOnce(&mut ResultMapping)>| {
        draft.update_rule(i, |r| {
            if let Some(m) = results_mut(r).and_then(|m| m.get_mut(k)) {
                edit(m)
            }
        })
    };
    let settable_fields = field_options(fields, settable);
    view! {
        <div class="rule-subsection" data-testid="first-match">
            {move || (0..count.get()).map(|k| view! {
                <div class="rule-row">
                    <Choice id=format!("match-{k}-field") testid=format!("match-{k}-field") label="Field" options=settable_fields
                        current=Signal::derive(move || read(k).map(|m| m.field).unwrap_or_default())
                        on_pick=Callback::new(move |f: String| change(k, Box::new(move |m| m.field = f)))/>
                    <Choice id=format!("match-{k}-parameter") testid=format!("match-{k}-parameter") label=format!("Takes the {of}'s") options=parameter_options()
                        current=Signal::derive(move || read(k).map(|m| m.parameter.as_str().to_owned()).unwrap_or_default())
                        on_pick=Callback::new(move |p: String| if let Some(p) = FileParameter::parse(&p) { change(k, Box::new(move |m| m.parameter = p)) })/>
                    <button type="button" class="button subtle" aria-label=format!("Remove result mapping {}", k + 1)
                        on:click=move |_| draft.update_rule(i, |r| {
                            if let Some(m) = results_mut(r) && k < m.len() {
                                m.remove(k);
                            }
                        })>"Remove"</button>
                </div>
            }).collect_view()}
            <button type="button" class="button" data-testid="add-first-match"
                on:click=move |_| {
                    let first = settable_fields.with_untracked(|f| f.first().map(|(n, _)| n.clone())).unwrap_or_default();
                    draft.update_rule(i, |r| {
                        if let Some(m) = results_mut(r) {
                            m.push(ResultMapping { field: first, parameter: FileParameter::Name });
                        }
                    })
                }>"Add field"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_types::rules::TableColumn;

    #[test]
    fn columns_named_like_a_parameter_are_mapped_to_it() {
        let column = |name: &str, title: &str, kind| TableColumn {
            name: name.into(),
            title: title.into(),
            kind,
        };
        let table = TableField {
            columns: vec![
                column("name", "Name", ColumnKind::Text),
                column("when", "Modified", ColumnKind::Date),
                column("doc", "Document", ColumnKind::File),
                column("notes", "Notes", ColumnKind::Text),
            ],
            ..TableField::default()
        };
        let mapped: Vec<(String, FileParameter)> = mapped_columns(&table)
            .into_iter()
            .map(|m| (m.column, m.parameter))
            .collect();
        assert_eq!(
            mapped,
            vec![
                ("name".to_owned(), FileParameter::Name),
                ("when".to_owned(), FileParameter::Modified),
                ("doc".to_owned(), FileParameter::Name),
            ]
        );
    }
}
