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
///
/// The page is read first: a page with fewer than [`PAGE_SIZE`] rows is the last one, so it tells
/// the total itself, and the count is asked only after a full page or an empty one past the end.
/// Most lists fit one page and are read on every load of their page: one query each, not two.
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
    let first = first_row_of(page);
    let rows = match first {
        Some(_) => paginator.fetch_page(page).await?,
        None => Vec::new(),
    };
    let total = match (first, rows.len() as u64) {
        (Some(first), n) if n > 0 && n < PAGE_SIZE => first + n,
        (Some(0), 0) => 0,
        _ => paginator.num_items().await?,
    };
    Ok(Page {
        rows,
        total,
        page,
        page_size: PAGE_SIZE,
    })
}

/// The offset of page `page`'s first row, when SQL can be asked for it: the paginator multiplies
/// the page by the page size, and `OFFSET` (plus the page's rows) must fit a signed 64-bit number.
fn first_row_of(page: u64) -> Option<u64> {
    page.checked_mul(PAGE_SIZE).filter(|first| {
        first
            .checked_add(PAGE_SIZE)
            .is_some_and(|end| i64::try_from(end).is_ok())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{group_of, memory_db};
    use entity::group;
    use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
    use std::sync::{Arc, Mutex};

    /// `groups` groups on a fresh database, and a log of the SQL statements run on it from then on.
    async fn groups_with_statement_log(
        groups: u64,
    ) -> (DatabaseConnection, Arc<Mutex<Vec<String>>>) {
        let mut db = memory_db().await;
        for i in 0..groups {
            group_of(&db, &format!("group {i:03}"), &[]).await;
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        db.set_metric_callback(move |info| sink.lock().unwrap().push(info.statement.sql.clone()));
        (db, log)
    }

    async fn page_of_groups(db: &DatabaseConnection, page: u64) -> Page<group::Model> {
        let query = group::Entity::find().order_by_asc(group::Column::NameKey);
        fetch(db, query, page).await.unwrap()
    }

    fn counts(log: &Mutex<Vec<String>>) -> usize {
        let log = log.lock().unwrap();
        log.iter()
            .filter(|sql| sql.to_uppercase().contains("COUNT("))
            .count()
    }

    #[tokio::test]
    async fn a_list_that_fits_one_page_is_read_with_one_query() {
        let (db, log) = groups_with_statement_log(PAGE_SIZE - 1).await;
        let page = page_of_groups(&db, 0).await;
        assert_eq!(
            (page.rows.len() as u64, page.total),
            (PAGE_SIZE - 1, PAGE_SIZE - 1)
        );
        let statements = log.lock().unwrap().clone();
        assert_eq!(statements.len(), 1, "{statements:?}");
        assert_eq!(counts(&log), 0);
    }

    #[tokio::test]
    async fn the_last_partial_page_tells_the_total_and_full_pages_count() {
        let (db, log) = groups_with_statement_log(PAGE_SIZE + 3).await;
        let first = page_of_groups(&db, 0).await;
        assert_eq!(
            (first.rows.len() as u64, first.total),
            (PAGE_SIZE, PAGE_SIZE + 3)
        );
        assert_eq!(
            counts(&log),
            1,
            "a full page cannot tell whether more follow"
        );
        let last = page_of_groups(&db, 1).await;
        assert_eq!((last.rows.len(), last.total), (3, PAGE_SIZE + 3));
        assert_eq!(last.rows[0].name, format!("group {PAGE_SIZE:03}"));
        assert_eq!(counts(&log), 1, "the partial last page needed no count");
    }

    #[tokio::test]
    async fn empty_lists_and_pages_past_the_end_answer_the_true_total() {
        let (db, _) = groups_with_statement_log(0).await;
        let empty = page_of_groups(&db, 0).await;
        assert_eq!((empty.rows.len(), empty.total), (0, 0));

        let (db, _) = groups_with_statement_log(PAGE_SIZE).await;
        // 10¹² pages: an OFFSET SQL is asked for, far past the end; then the largest numbers.
        for page in [
            1,
            7,
            1_000_000_000_000,
            i64::MAX as u64 / PAGE_SIZE,
            u64::MAX / PAGE_SIZE + 1,
            u64::MAX,
        ] {
            let past = page_of_groups(&db, page).await;
            assert_eq!(
                (past.rows.len(), past.total, past.page),
                (0, PAGE_SIZE, page)
            );
        }
    }
}
