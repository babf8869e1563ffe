//! A Table field as people fill it in: typed columns (Text, Number, Date, File), read-only or
//! editable as the designer chose, shown a page at a time. Rows a rule found arrive one page at a
//! time: moving past the rows held asks the server for the next page (`next_table_page`) — a table
//! is never fetched whole.
use crate::api::rules::next_table_page;
use crate::components::time::Time;
use leptos::prelude::*;
use wharf_types::forms::human_size;
use wharf_types::rules::{
    Cell, ColumnKind, TableColumn, TableField, TableMode, TablePage, TableRow, number_text,
};

/// One row as the table holds it: its cells are a signal of their own, so editing a cell redraws
/// that cell's input only (the focus stays where the person is typing).
#[derive(Clone)]
struct HeldRow {
    key: u64,
    cells: ArcRwSignal<TableRow>,
}

/// The rows a Table field holds, which page is shown, and how to get the rows after them.
#[derive(Clone, Copy)]
pub struct TableRows {
    rows: RwSignal<Vec<HeldRow>>,
    /// The server's token for the page after the rows held; `None` when all are held.
    more: RwSignal<Option<String>>,
    /// The page shown, from 0.
    page: RwSignal<usize>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    /// Bumped whenever the rows are replaced: a next page asked for before is then dropped.
    generation: StoredValue<u64>,
    next_key: StoredValue<u64>,
}

impl Default for TableRows {
    fn default() -> Self {
        Self::new()
    }
}

impl TableRows {
    pub fn new() -> Self {
        TableRows {
            rows: RwSignal::new(Vec::new()),
            more: RwSignal::new(None),
            page: RwSignal::new(0),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            generation: StoredValue::new(0),
            next_key: StoredValue::new(0),
        }
    }

    fn held(&self, rows: Vec<TableRow>) -> Vec<HeldRow> {
        rows.into_iter()
            .map(|cells| {
                let key = self.next_key.get_value();
                self.next_key.set_value(key + 1);
                HeldRow {
                    key,
                    cells: ArcRwSignal::new(cells),
                }
            })
            .collect()
    }

    /// A page a rule sent: Override replaces the rows (and shows the first page), Append adds.
    pub fn fill(&self, page: TablePage) {
        self.generation.update_value(|g| *g += 1);
        let rows = self.held(page.rows);
        match page.mode {
            TableMode::Override => {
                self.rows.set(rows);
                self.page.set(0);
            }
            TableMode::Append => self.rows.update(|all| all.extend(rows)),
        }
        self.more.set(page.more);
        self.loading.set(false);
        self.error.set(None);
    }

    /// Rows set as the field's value (a rule's change): they replace everything held.
    pub fn replace(&self, rows: Vec<TableRow>) {
        self.fill(TablePage {
            rows,
            mode: TableMode::Override,
            more: None,
        });
    }

    /// The rows held, as the field's value.
    pub fn value(&self) -> Vec<TableRow> {
        self.rows
            .with_untracked(|rows| rows.iter().map(|r| r.cells.get_untracked()).collect())
    }

    /// Subscribes the caller to the rows being replaced, added or removed.
    pub fn track(&self) {
        self.rows.track();
    }

    fn add_row(&self, page_size: usize) {
        let row = self.held(vec![TableRow::new()]);
        self.rows.update(|all| all.extend(row));
        let last_page = self.rows.with_untracked(|r| r.len().saturating_sub(1)) / page_size;
        self.page.set(last_page);
    }

    fn remove_row(&self, key: u64, page_size: usize) {
        self.rows.update(|all| all.retain(|r| r.key != key));
        let len = self.rows.with_untracked(Vec::len);
        // Removing the last row of the last page goes back a page.
        if self.page.get_untracked() * page_size >= len && len > 0 {
            self.page.set((len - 1) / page_size);
        }
    }

    /// Shows the next page, first fetching it from the server when it is not (wholly) held yet.
    fn next_page(&self, page_size: usize, form_id: i32, preview: bool, field: String) {
        if self.loading.get_untracked() {
            return;
        }
        let len = self.rows.with_untracked(Vec::len);
        let next_start = (self.page.get_untracked() + 1) * page_size;
        let Some(more) = self
            .more
            .get_untracked()
            .filter(|_| next_start + page_size > len)
        else {
            if next_start < len {
                self.page.update(|p| *p += 1);
            }
            return;
        };
        let this = *self;
        let generation = self.generation.get_value();
        self.loading.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let answer = next_table_page(form_id, preview, field, more).await;
            // Replaced by a rule since, or the form is gone.
            if this.generation.try_get_value() != Some(generation) {
                return;
            }
            match answer {
                Ok(page) => {
                    let rows = this.held(page.rows);
                    this.rows.update(|all| all.extend(rows));
                    this.more.set(page.more);
                    let len = this.rows.with_untracked(Vec::len);
                    if next_start < len {
                        this.page.update(|p| *p += 1);
                    }
                }
                Err(e) => this.error.set(Some(e.to_string())),
            }
            this.loading.set(false);
        });
    }
}

/// A Table field: `label_id` names the element that labels it (the field's title).
#[component]
pub fn TableFieldView(
    form_id: i32,
    preview: bool,
    /// The field's name.
    field: String,
    /// The field's title (names its pager).
    title: String,
    table: TableField,
    rows: TableRows,
    label_id: String,
    /// The field is enabled and the designer let people edit rows.
    editable: bool,
) -> impl IntoView {
    let page_size = table.page_size.max(1) as usize;
    let columns = StoredValue::new(table.columns);
    let field = StoredValue::new(field);
    let shown = move || {
        let start = rows.page.get() * page_size;
        rows.rows.with(|all| {
            all.iter()
                .enumerate()
                .skip(start)
                .take(page_size)
                .map(|(i, r)| (i, r.clone()))
                .collect::<Vec<_>>()
        })
    };
    let len = move || rows.rows.with(Vec::len);
    let range = move || {
        let len = len();
        let first = (rows.page.get() * page_size + 1).min(len);
        let last = ((rows.page.get() + 1) * page_size).min(len);
        if rows.more.with(Option::is_some) {
            format!("{first}–{last} of more than {len}")
        } else {
            format!("{first}–{last} of {len}")
        }
    };
    let has_next =
        move || (rows.page.get() + 1) * page_size < len() || rows.more.with(Option::is_some);
    let pager_label = format!("Pages of {title}");
    view! {
        <div class="table-field" data-testid=format!("table-{}", field.get_value())>
            <Show when=move || { len() > 0 }
                fallback=|| view! { <p class="muted table-empty" data-testid="table-empty">"No rows yet."</p> }>
                // Scrolls sideways when the columns need more room than there is.
                <div class="table-scroll" tabindex="0" role="region" aria-labelledby=label_id.clone()>
                    <table class="table stack table-rows" aria-labelledby=label_id.clone()>
                        <thead><tr>
                            {columns.with_value(|c| c.iter().map(|c| view! { <th scope="col">{c.title.clone()}</th> }).collect_view())}
                            {editable.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                        </tr></thead>
                        <tbody>
                            <For each=shown key=|(_, r)| r.key let:((index, row))>
                                <tr data-row=index>
                                    {columns.with_value(|c| c.iter().map(|column| {
                                        view! { <TableCell column=column.clone() cells=row.cells.clone() index editable/> }
                                    }).collect_view())}
                                    {editable.then(|| {
                                        let key = row.key;
                                        view! {
                                            <td class="table-row-actions">
                                                <button type="button" class="button subtle" aria-label=format!("Remove row {}", index + 1)
                                                    on:click=move |_| rows.remove_row(key, page_size)>"Remove"</button>
                                            </td>
                                        }
                                    })}
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
            <div class="table-foot">
                {editable.then(|| view! {
                    <button type="button" class="button" data-testid="add-row"
                        on:click=move |_| rows.add_row(page_size)>"Add row"</button>
                })}
                <Show when=move || { len() > page_size || rows.more.with(Option::is_some) }>
                    <nav class="pager" aria-label=pager_label.clone()>
                        <span class="muted" data-testid="pager-range">{range}</span>
                        <button type="button" class="button" disabled=move || rows.page.get() == 0
                            on:click=move |_| rows.page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                        <button type="button" class="button" disabled=move || !has_next() || rows.loading.get()
                            aria-busy=move || rows.loading.get().then_some("true")
                            on:click=move |_| rows.next_page(page_size, form_id, preview, field.get_value())>
                            {move || if rows.loading.get() { "Loading…" } else { "Next" }}
                        </button>
                    </nav>
                </Show>
            </div>
            <Show when=move || rows.error.with(Option::is_some)>
                <p class="form-error" role="alert">{move || rows.error.get()}</p>
            </Show>
        </div>
    }
}

/// One cell: an input of the column's kind when the person may edit it, its value otherwise.
#[component]
fn TableCell(
    column: TableColumn,
    cells: ArcRwSignal<TableRow>,
    index: usize,
    editable: bool,
) -> impl IntoView {
    let title = column.title.clone();
    if !editable || column.kind == ColumnKind::File {
        let shown = {
            let cells = cells.clone();
            let name = column.name.clone();
            move || cells.with(|c| c.get(&name).cloned()).map(show_cell)
        };
        return view! { <td data-label=title>{shown}</td> }.into_any();
    }
    let kind_attr = match column.kind {
        ColumnKind::Number => "number",
        ColumnKind::Date => "date",
        _ => "text",
    };
    let name = column.name.clone();
    let text = {
        let cells = cells.clone();
        let name = name.clone();
        move || {
            cells.with(|c| match c.get(&name) {
                // A date input holds the day only.
                Some(Cell::Date(d)) => d.get(..10).unwrap_or(d).to_owned(),
                Some(other) => other.text(),
                None => String::new(),
            })
        }
    };
    let kind = column.kind;
    let set = move |typed: String| {
        cells.update(|c| {
            let typed = typed.trim().to_owned();
            let cell = match kind {
                _ if typed.is_empty() => None,
                // A number input reports "" for what is not a number, so this parses.
                ColumnKind::Number => typed.parse::<f64>().ok().map(Cell::Number),
                ColumnKind::Date => Some(Cell::Date(typed)),
                _ => Some(Cell::Text(typed)),
            };
            match cell {
                Some(cell) => c.insert(name.clone(), cell),
                None => c.remove(&name),
            };
        })
    };
    view! {
        <td data-label=title.clone()>
            <input type=kind_attr step="any" aria-label=format!("{title}, row {}", index + 1)
                prop:value=text on:change=move |ev| set(event_target_value(&ev))/>
        </td>
    }
    .into_any()
}

/// A cell's value as the table shows it: files as a download through Wharf with their size, times
/// in the person's zone, days as they are.
pub fn show_cell(cell: Cell) -> AnyView {
    match cell {
        Cell::Text(t) => view! { <span>{t}</span> }.into_any(),
        Cell::Number(n) => view! { <span class="number">{number_text(n)}</span> }.into_any(),
        Cell::Date(d) if d.len() > 10 && d.as_bytes().get(10) == Some(&b'T') => {
            view! { <Time at=d/> }.into_any()
        }
        Cell::Date(d) => view! { <span>{d}</span> }.into_any(),
        Cell::File(f) => {
            let size = f.size.map(human_size);
            view! {
                <span class="table-file">
                    <a href=crate::urls::file_download(f.data_source_id, &f.path) download=f.name.clone()>{f.name.clone()}</a>
                    {size.map(|s| view! { <span class="muted">{format!(" · {s}")}</span> })}
                </span>
            }
            .into_any()
        }
    }
}
