//! The one way a list is read a page at a time: SeaORM's paginator with [`PAGE_SIZE`] rows, answered
//! as a [`Page`]. Every paged list in the domain goes through [`fetch`] or [`fetch_with`].
use sea_orm::{ConnectionTrait, DbErr, PaginatorTrait, SelectorTrait};
use std::future::Future;
use wharf_types::{PAGE_SIZE, Page};

/// What a query yields per row.
pub type Row<'db, C, Q> = <<Q as PaginatorTrait<'db, C>>::Selector as SelectorTrait>::Item;

/// Page `page` (0-based) of `query` and how many rows it matches in all. The query must already be
/// ordered (a page is only stable under a total order). A page past the end is empty, not an error;
/// any page number, however large, is answered without arithmetic overflow.
pub async fn fetch<'db, C, Q>(
    db: &'db C,
    query: Q,
    page: u64,
) -> Result<Page<Row<'db, C, Q>>, DbErr>
where
    C: ConnectionTrait,
    Q: PaginatorTrait<'db, C>,
{
    let paginator = query.paginate(db, PAGE_SIZE);
    let total = paginator.num_items().await?;
    // The paginator multiplies `page` by the page size: only ask for pages that can hold rows.
    let within = page
        .checked_mul(PAGE_SIZE)
        .is_some_and(|first| first < total);
    let rows = if within {
        paginator.fetch_page(page).await?
    } else {
        Vec::new()
    };
    Ok(Page {
        rows,
        total,
        page,
        page_size: PAGE_SIZE,
    })
}

/// [`fetch`], then `rows` turns the page's models into what the list shows (it may query again, e.g.
/// to load the roles of the page's users in one go).
pub async fn fetch_with<'db, C, Q, T, E, F, Fut>(
    db: &'db C,
    query: Q,
    page: u64,
    rows: F,
) -> Result<Page<T>, E>
where
    C: ConnectionTrait,
    Q: PaginatorTrait<'db, C>,
    E: From<DbErr>,
    F: FnOnce(Vec<Row<'db, C, Q>>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, E>>,
{
    let found = fetch(db, query, page).await?;
    Ok(Page {
        rows: rows(found.rows).await?,
        total: found.total,
        page: found.page,
        page_size: found.page_size,
    })
}
