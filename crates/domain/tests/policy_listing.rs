//! The SQL filters that list what a user may administer or use must say exactly what the policy's
//! `decide` says, for every kind of subject and every shape of Security settings — on a real database.
use domain::policy::{Action, Grantee, administrable, decide, load_security, usable};
use domain::testing::{dropbox_source, group_of, memory_db, person, signed_in};
use domain::{data_sources, security};
use sea_orm::{Condition, DatabaseConnection, EntityTrait};
use std::collections::BTreeSet;
use wharf_types::Role;

async fn ids(db: &DatabaseConnection, visible: Condition) -> BTreeSet<i32> {
    data_sources::list(db, visible, "", 0)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[tokio::test]
async fn listing_filters_agree_with_the_policy_for_every_subject_and_data_source() {
    let db = memory_db().await;
    let admin_id = person(&db, "admin", &[Role::Administrator]).await;
    let manager_id = person(&db, "manager", &[Role::ManageDataSources]).await;
    let designer_id = person(&db, "designer", &[Role::DesignBusinessProcess]).await;
    let conn_admin_id = person(&db, "connadmin", &[Role::User]).await;
    let finance_member_id = person(&db, "finance", &[Role::User]).await;
    let ops_member_id = person(&db, "ops", &[Role::User]).await;
    let outsider_id = person(&db, "outsider", &[Role::User]).await;
    let finance = group_of(&db, "Finance", &[finance_member_id]).await;
    let ops = group_of(&db, "Ops", &[ops_member_id]).await;
    let admin = signed_in(&db, admin_id).await;

    let make = async |name: &str, admins: Vec<Grantee>, users: Vec<Grantee>, read_only: bool| {
        let id = dropbox_source(&db, name, &admin).await.unwrap();
        security::save(&db, id, admins, users, read_only, &admin)
            .await
            .unwrap();
        id
    };
    make("Open", vec![], vec![], false).await;
    make("Finance only", vec![], vec![Grantee::Group(finance)], false).await;
    make(
        "Run by one person",
        vec![Grantee::User(conn_admin_id)],
        vec![],
        true,
    )
    .await;
    make(
        "Ops run, designers use",
        vec![Grantee::Group(ops)],
        vec![
            Grantee::Role(Role::DesignBusinessProcess),
            Grantee::User(outsider_id),
        ],
        false,
    )
    .await;
    // Restricted, then its only grantee deleted: must stay closed, not open up.
    let gone = person(&db, "gone", &[Role::User]).await;
    let closed = make(
        "Emptied",
        vec![Grantee::User(gone)],
        vec![Grantee::User(gone)],
        false,
    )
    .await;
    entity::user::Entity::delete_by_id(gone)
        .exec(&db)
        .await
        .unwrap();
    let emptied = load_security(&db, closed).await.unwrap().unwrap();
    assert!(emptied.admins_restricted && emptied.administrators.is_empty());

    let all = ids(&db, Condition::all()).await;
    for id in [
        admin_id,
        manager_id,
        designer_id,
        conn_admin_id,
        finance_member_id,
        ops_member_id,
        outsider_id,
    ] {
        let subject = signed_in(&db, id).await;
        let mut expect_admin = BTreeSet::new();
        let mut expect_use = BTreeSet::new();
        for ds in &all {
            let sec = load_security(&db, *ds).await.unwrap().unwrap();
            if decide(Some(&subject), Action::AdministerDataSource, Some(&sec)).is_allowed() {
                expect_admin.insert(*ds);
            }
            if decide(Some(&subject), Action::UseDataSource, Some(&sec)).is_allowed() {
                expect_use.insert(*ds);
            }
        }
        assert_eq!(
            ids(&db, administrable(&subject)).await,
            expect_admin,
            "administer: {}",
            subject.username
        );
        assert_eq!(
            ids(&db, usable(&subject)).await,
            expect_use,
            "use: {}",
            subject.username
        );
    }

    // Spot checks that the matrix above is not trivially empty or full.
    let outsider = signed_in(&db, outsider_id).await;
    assert_eq!(
        ids(&db, usable(&outsider)).await.len(),
        3,
        "Open, Run by one person, Ops run"
    );
    let conn_admin = signed_in(&db, conn_admin_id).await;
    assert!(conn_admin.listed_as_connection_administrator);
    assert!(
        domain::policy::areas_for(&conn_admin).contains(&wharf_types::Area::DataSources),
        "listed, so Administration > Data sources opens without the role"
    );
    assert!(
        !signed_in(&db, finance_member_id)
            .await
            .listed_as_connection_administrator
    );
    assert_eq!(ids(&db, administrable(&conn_admin)).await.len(), 1);
    assert_eq!(
        ids(&db, administrable(&signed_in(&db, manager_id).await))
            .await
            .len(),
        2,
        "Open, Finance only"
    );
}

#[tokio::test]
async fn saving_security_is_audited_and_refuses_unknown_grantees_without_changing_anything() {
    let db = memory_db().await;
    let admin_id = person(&db, "admin", &[Role::Administrator]).await;
    let admin = signed_in(&db, admin_id).await;
    let finance = group_of(&db, "Finance", &[]).await;
    let ds = dropbox_source(&db, "Books", &admin).await.unwrap();
    security::save(&db, ds, vec![], vec![Grantee::Group(finance)], true, &admin)
        .await
        .unwrap();
    let trail = domain::audit::recent(&db, ds, 5).await.unwrap();
    assert_eq!(trail[0].action, "security_changed");
    assert!(
        trail[0]
            .detail
            .contains("Connection users: added Finance (group)"),
        "{}",
        trail[0].detail
    );
    assert!(
        trail[0].detail.contains("Made read-only"),
        "{}",
        trail[0].detail
    );

    let refused = security::save(&db, ds, vec![Grantee::User(9999)], vec![], false, &admin).await;
    assert!(matches!(refused, Err(security::SecurityError::Invalid(_))));
    let kept = security::get(&db, ds).await.unwrap();
    assert_eq!(kept.users.len(), 1);
    assert!(kept.read_only && kept.users_restricted && !kept.admins_restricted);
}
