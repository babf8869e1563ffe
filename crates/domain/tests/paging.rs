//! The one paging helper on a real SQLite database: full pages, the last short page, an exact multiple
//! of the page size, pages past the end and an empty table.
use domain::db::connect_and_migrate;
use domain::paging;
use entity::group;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryOrder};
use time::OffsetDateTime;
use wharf_types::PAGE_SIZE;

/// A database holding `n` groups named `g0000`, `g0001` … (so name order is insertion order).
async fn groups(n: u64) -> DatabaseConnection {
    let db = connect_and_migrate("sqlite::memory:").await.unwrap();
    let now = OffsetDateTime::now_utc();
    for i in 0..n {
        let name = format!("g{i:04}");
        group::ActiveModel {
            name_key: Set(name.clone()),
            name: Set(name),
            description: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    db
}

fn by_name() -> sea_orm::Select<group::Entity> {
    group::Entity::find().order_by_asc(group::Column::NameKey)
}

#[tokio::test]
async fn pages_hold_page_size_rows_and_the_last_one_the_rest() {
    let db = groups(PAGE_SIZE + 3).await;
    let first = paging::fetch(&db, by_name(), 0).await.unwrap();
    assert_eq!(first.total, PAGE_SIZE + 3);
    assert_eq!((first.page, first.page_size), (0, PAGE_SIZE));
    assert_eq!(first.rows.len() as u64, PAGE_SIZE);
    assert_eq!(first.rows[0].name, "g0000");

    let second = paging::fetch(&db, by_name(), 1).await.unwrap();
    assert_eq!(second.page, 1);
    assert_eq!(second.total, PAGE_SIZE + 3);
    let names: Vec<_> = second.rows.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["g0050", "g0051", "g0052"]);
}

#[tokio::test]
async fn an_exact_multiple_of_the_page_size_has_no_empty_extra_page() {
    let db = groups(2 * PAGE_SIZE).await;
    let last = paging::fetch(&db, by_name(), 1).await.unwrap();
    assert_eq!(last.rows.len() as u64, PAGE_SIZE);
    assert_eq!(
        last.rows.last().unwrap().name,
        format!("g{:04}", 2 * PAGE_SIZE - 1)
    );
    let after = paging::fetch(&db, by_name(), 2).await.unwrap();
    assert!(after.rows.is_empty());
    assert_eq!((after.total, after.page), (2 * PAGE_SIZE, 2));
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_and_still_counts_the_rows() {
    let db = groups(3).await;
    for page in [1, 7, u64::MAX / PAGE_SIZE, u64::MAX] {
        let beyond = paging::fetch(&db, by_name(), page).await.unwrap();
        assert!(beyond.rows.is_empty(), "page {page}");
        assert_eq!(beyond.total, 3);
        assert_eq!(beyond.page, page);
    }
}

#[tokio::test]
async fn an_empty_table_is_one_empty_page() {
    let db = groups(0).await;
    let page = paging::fetch(&db, by_name(), 0).await.unwrap();
    assert_eq!(page, wharf_types::Page::empty());
}

#[tokio::test]
async fn fetch_with_turns_the_page_rows_and_keeps_the_position() {
    let db = groups(PAGE_SIZE + 1).await;
    let page = paging::fetch_with(&db, by_name(), 1, |rows| async move {
        Ok::<_, sea_orm::DbErr>(rows.into_iter().map(|g| g.name.len()).collect())
    })
    .await
    .unwrap();
    assert_eq!(page.rows, vec![5]);
    assert_eq!(
        (page.total, page.page, page.page_size),
        (PAGE_SIZE + 1, 1, PAGE_SIZE)
    );
}
