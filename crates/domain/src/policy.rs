//! Who may do what: the one place that decides (subject, action, data source) → allow or deny with a
//! reason. Server functions, axum routes and (later) rule executions ask [`decide`]; the SQL filters
//! that list what a user may see ([`administrable`], [`usable`]) encode the same rules and are tested
//! against it.
use crate::AuthenticatedUser;
use entity::{data_source, data_source_grant};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};
use wharf_types::{Area, Role};

/// What a Security list entry lets its grantee do with a data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Connection administrators: edit, authorize, test, secure and delete it.
    Administer,
    /// Connection users: query it from forms, List fields, rules, dashboards and the file picker.
    Use,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Administer => "administer",
            Capability::Use => "use",
        }
    }
}

pub use wharf_types::Grantee;

/// Whether a Security list entry names `user`.
fn includes(grantee: &Grantee, user: &AuthenticatedUser) -> bool {
    match grantee {
        Grantee::User(id) => *id == user.id,
        Grantee::Group(id) => user.group_ids.contains(id),
        Grantee::Role(role) => user.has_role(*role),
    }
}

/// A data source's Security settings, as [`decide`] needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataSourceSecurity {
    pub data_source_id: i32,
    /// Connection administrators. Meaningful only when `admins_restricted`.
    pub administrators: Vec<Grantee>,
    /// Whether the list was saved non-empty. Blank and unrestricted means any Administrator and any
    /// holder of Manage data sources; restricted and emptied (its members deleted) means Administrators
    /// only — an emptied list never silently opens up.
    pub admins_restricted: bool,
    /// Connection users. Meaningful only when `users_restricted`.
    pub users: Vec<Grantee>,
    /// Blank and unrestricted means any signed-in user.
    pub users_restricted: bool,
    /// Refuses Create / Update / Delete of files from every caller.
    pub read_only: bool,
}

/// What a caller wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open an area of the application (its pages and its server functions).
    EnterArea(Area),
    CreateDataSource,
    /// See it in Administration, edit, authorize, test, change Security, delete.
    AdministerDataSource,
    /// List, search, pick and download its files.
    UseDataSource,
    /// Create, update or delete its files.
    WriteFiles,
    /// Create, edit, publish and delete forms, and read their submissions.
    DesignForms,
}

/// Why a request was refused. `sentence()` is what the person reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    NotSignedIn,
    PasswordChangeRequired,
    AreaNotAllowed(Area),
    MayNotCreateDataSources,
    NotConnectionAdministrator,
    NotConnectionUser,
    ReadOnly,
    MayNotDesignForms,
}

impl Denial {
    pub fn sentence(&self) -> String {
        match self {
            Denial::NotSignedIn => "Sign in to continue.".to_owned(),
            Denial::PasswordChangeRequired => {
                "Choose a new password before you continue.".to_owned()
            }
            Denial::AreaNotAllowed(area) => format!(
                "You do not have permission to use {}. Ask an administrator if you need it.",
                area.label()
            ),
            Denial::MayNotCreateDataSources => "Only administrators and holders of Manage data \
                 sources may add data sources."
                .to_owned(),
            Denial::NotConnectionAdministrator => "You are not a connection administrator of this \
                 data source. Ask an administrator if you need to change it."
                .to_owned(),
            Denial::NotConnectionUser => "You are not one of the connection users of this data \
                 source. Ask its connection administrator for access."
                .to_owned(),
            Denial::ReadOnly => "This data source is read-only: files cannot be created, changed \
                 or deleted through it."
                .to_owned(),
            Denial::MayNotDesignForms => "Only administrators and holders of Design business \
                 process may design forms or read their submissions."
                .to_owned(),
        }
    }

    /// Whether the caller must sign in (401) rather than being refused (403).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, Denial::NotSignedIn)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// The decision. `security` is required for the data-source actions: without it they are denied.
pub fn decide(
    subject: Option<&AuthenticatedUser>,
    action: Action,
    security: Option<&DataSourceSecurity>,
) -> Decision {
    let Some(user) = subject else {
        return Decision::Deny(Denial::NotSignedIn);
    };
    if user.must_change_password {
        return Decision::Deny(Denial::PasswordChangeRequired);
    }
    let verdict = |allowed: bool, denial: Denial| {
        if allowed {
            Decision::Allow
        } else {
            Decision::Deny(denial)
        }
    };
    match action {
        Action::EnterArea(area) => verdict(may_enter(user, area), Denial::AreaNotAllowed(area)),
        Action::CreateDataSource => verdict(
            user.has_role(Role::Administrator) || user.has_role(Role::ManageDataSources),
            Denial::MayNotCreateDataSources,
        ),
        Action::AdministerDataSource => verdict(
            security.is_some_and(|s| administers(user, s)),
            Denial::NotConnectionAdministrator,
        ),
        Action::UseDataSource => verdict(
            security.is_some_and(|s| uses(user, s)),
            Denial::NotConnectionUser,
        ),
        Action::WriteFiles => match security {
            Some(s) if !uses(user, s) => Decision::Deny(Denial::NotConnectionUser),
            Some(s) if s.read_only => Decision::Deny(Denial::ReadOnly),
            Some(_) => Decision::Allow,
            None => Decision::Deny(Denial::NotConnectionUser),
        },
        Action::DesignForms => verdict(
            user.has_role(Role::Administrator) || user.has_role(Role::DesignBusinessProcess),
            Denial::MayNotDesignForms,
        ),
    }
}

/// The areas a user may open, in navigation order.
pub fn areas_for(user: &AuthenticatedUser) -> Vec<Area> {
    Area::ALL
        .into_iter()
        .filter(|a| may_enter(user, *a))
        .collect()
}

fn may_enter(user: &AuthenticatedUser, area: Area) -> bool {
    area.allows(&user.roles)
        || (area == Area::DataSources && user.listed_as_connection_administrator)
}

fn administers(user: &AuthenticatedUser, s: &DataSourceSecurity) -> bool {
    // Administrators always may: nobody can lock a data source away from the people who run Wharf.
    user.has_role(Role::Administrator)
        || if s.admins_restricted {
            s.administrators.iter().any(|g| includes(g, user))
        } else {
            user.has_role(Role::ManageDataSources)
        }
}

fn uses(user: &AuthenticatedUser, s: &DataSourceSecurity) -> bool {
    // Whoever may change a data source may also try it out.
    administers(user, s) || !s.users_restricted || s.users.iter().any(|g| includes(g, user))
}

/// Grants in SQL: a grant row naming `user` directly, through one of their groups or one of their roles.
fn grant_names(user: &AuthenticatedUser) -> Condition {
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    Condition::any()
        .add(data_source_grant::Column::UserId.eq(user.id))
        .add(data_source_grant::Column::GroupId.is_in(user.group_ids.clone()))
        .add(data_source_grant::Column::Role.is_in(roles))
}

/// `data_sources.id IN (data sources with a `capability` grant naming the user)`.
fn granted(user: &AuthenticatedUser, capability: Capability) -> Condition {
    Condition::all().add(
        data_source::Column::Id.in_subquery(
            Query::select()
                .column(data_source_grant::Column::DataSourceId)
                .from(data_source_grant::Entity)
                .cond_where(
                    Condition::all()
                        .add(data_source_grant::Column::Capability.eq(capability.as_str()))
                        .add(grant_names(user)),
                )
                .to_owned(),
        ),
    )
}

/// The SQL form of [`Action::AdministerDataSource`], for listing.
pub fn administrable(user: &AuthenticatedUser) -> Condition {
    if user.has_role(Role::Administrator) {
        return Condition::all();
    }
    let mut any = Condition::any().add(
        Condition::all()
            .add(data_source::Column::AdminsRestricted.eq(true))
            .add(granted(user, Capability::Administer)),
    );
    if user.has_role(Role::ManageDataSources) {
        any = any.add(data_source::Column::AdminsRestricted.eq(false));
    }
    any
}

/// The SQL form of [`Action::UseDataSource`], for listing.
pub fn usable(user: &AuthenticatedUser) -> Condition {
    Condition::any()
        .add(administrable(user))
        .add(data_source::Column::UsersRestricted.eq(false))
        .add(granted(user, Capability::Use))
}

/// Whether some data source's (restricted) Connection administrators list names the user. Not asked
/// (false) when their roles open Administration > Data sources already: there it decides nothing
/// ([`may_enter`]), and it would be a query on each of their requests.
pub async fn listed_as_connection_administrator(
    db: &impl ConnectionTrait,
    user: &AuthenticatedUser,
) -> Result<bool, DbErr> {
    if Area::DataSources.allows(&user.roles) {
        return Ok(false);
    }
    let count = data_source::Entity::find()
        .filter(data_source::Column::AdminsRestricted.eq(true))
        .filter(granted(user, Capability::Administer))
        .count(db)
        .await?;
    Ok(count > 0)
}

/// A data source's Security settings, or `None` when there is no such data source.
pub async fn load_security(
    db: &impl ConnectionTrait,
    data_source_id: i32,
) -> Result<Option<DataSourceSecurity>, DbErr> {
    // One query (a join): this runs for every call on a data source.
    let Some((ds, grants)) = data_source::Entity::find_by_id(data_source_id)
        .find_with_related(data_source_grant::Entity)
        .all(db)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let mut security = DataSourceSecurity {
        data_source_id,
        admins_restricted: ds.admins_restricted,
        users_restricted: ds.users_restricted,
        read_only: ds.read_only,
        ..Default::default()
    };
    for grant in grants {
        let grantee = match (grant.user_id, grant.group_id, grant.role.as_deref()) {
            (Some(id), _, _) => Grantee::User(id),
            (_, Some(id), _) => Grantee::Group(id),
            (_, _, Some(role)) => match role.parse() {
                Ok(role) => Grantee::Role(role),
                Err(e) => {
                    tracing::warn!(data_source_id, "ignoring a grant: {e}");
                    continue;
                }
            },
            _ => continue,
        };
        match grant.capability.as_str() {
            "administer" => security.administrators.push(grantee),
            "use" => security.users.push(grantee),
            other => tracing::warn!(data_source_id, "ignoring a grant of unknown kind `{other}`"),
        }
    }
    security.administrators.sort();
    security.users.sort();
    Ok(Some(security))
}

/// Logs a refusal: who, what, which data source, why. Every denial passes through here.
pub fn log_denial(
    subject: Option<&AuthenticatedUser>,
    action: Action,
    data_source_id: Option<i32>,
    denial: &Denial,
) {
    tracing::warn!(
        user_id = subject.map(|u| u.id),
        ?action,
        data_source_id,
        ?denial,
        "refused"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i32, roles: &[Role], groups: &[i32]) -> AuthenticatedUser {
        AuthenticatedUser {
            id,
            username: format!("u{id}"),
            display_name: format!("User {id}"),
            email: None,
            roles: roles.to_vec(),
            must_change_password: false,
            group_ids: groups.to_vec(),
            listed_as_connection_administrator: false,
        }
    }

    const FINANCE: i32 = 7;
    const OPS: i32 = 8;

    fn restricted() -> DataSourceSecurity {
        DataSourceSecurity {
            data_source_id: 1,
            administrators: vec![Grantee::User(20), Grantee::Group(OPS)],
            admins_restricted: true,
            users: vec![
                Grantee::Group(FINANCE),
                Grantee::Role(Role::DesignBusinessProcess),
            ],
            users_restricted: true,
            read_only: false,
        }
    }

    /// Every subject kind the issue names, with what it may do to an open and to a restricted
    /// data source: (administer open, use open, administer restricted, use restricted).
    #[test]
    fn the_whole_matrix_of_subjects_and_data_source_actions() {
        let open = DataSourceSecurity {
            data_source_id: 2,
            ..Default::default()
        };
        let limited = restricted();
        let cases: Vec<(&str, AuthenticatedUser, [bool; 4])> = vec![
            (
                "user",
                user(10, &[Role::User], &[]),
                [false, true, false, false],
            ),
            (
                "designer (listed by role)",
                user(11, &[Role::DesignBusinessProcess], &[]),
                [false, true, false, true],
            ),
            (
                "data-source manager",
                user(12, &[Role::ManageDataSources], &[]),
                [true, true, false, false],
            ),
            (
                "connection administrator (by user)",
                user(20, &[Role::User], &[]),
                [false, true, true, true],
            ),
            (
                "connection administrator (by group)",
                user(21, &[Role::User], &[OPS]),
                [false, true, true, true],
            ),
            (
                "connection user (by group)",
                user(22, &[Role::User], &[FINANCE]),
                [false, true, false, true],
            ),
            (
                "non-member",
                user(23, &[Role::User], &[99]),
                [false, true, false, false],
            ),
            (
                "administrator",
                user(1, &[Role::Administrator], &[]),
                [true, true, true, true],
            ),
            ("no roles", user(24, &[], &[]), [false, true, false, false]),
        ];
        for (name, subject, expected) in cases {
            let got = [
                decide(Some(&subject), Action::AdministerDataSource, Some(&open)).is_allowed(),
                decide(Some(&subject), Action::UseDataSource, Some(&open)).is_allowed(),
                decide(Some(&subject), Action::AdministerDataSource, Some(&limited)).is_allowed(),
                decide(Some(&subject), Action::UseDataSource, Some(&limited)).is_allowed(),
            ];
            assert_eq!(got, expected, "{name}");
            // Writing follows using while the data source is writable.
            for security in [&open, &limited] {
                assert_eq!(
                    decide(Some(&subject), Action::WriteFiles, Some(security)).is_allowed(),
                    decide(Some(&subject), Action::UseDataSource, Some(security)).is_allowed(),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn anonymous_callers_are_asked_to_sign_in_for_everything() {
        let security = restricted();
        for action in [
            Action::EnterArea(Area::Home),
            Action::CreateDataSource,
            Action::AdministerDataSource,
            Action::UseDataSource,
            Action::WriteFiles,
            Action::DesignForms,
        ] {
            assert_eq!(
                decide(None, action, Some(&security)),
                Decision::Deny(Denial::NotSignedIn)
            );
        }
    }

    #[test]
    fn a_pending_password_change_comes_before_everything() {
        let mut admin = user(1, &[Role::Administrator], &[]);
        admin.must_change_password = true;
        assert_eq!(
            decide(Some(&admin), Action::EnterArea(Area::Home), None),
            Decision::Deny(Denial::PasswordChangeRequired)
        );
    }

    #[test]
    fn read_only_refuses_writes_from_everyone_including_administrators() {
        let mut security = restricted();
        security.read_only = true;
        let admin = user(1, &[Role::Administrator], &[]);
        assert_eq!(
            decide(Some(&admin), Action::WriteFiles, Some(&security)),
            Decision::Deny(Denial::ReadOnly)
        );
        assert!(decide(Some(&admin), Action::UseDataSource, Some(&security)).is_allowed());
        // A caller who may not use it at all is told that, not that it is read-only.
        let outsider = user(30, &[Role::User], &[]);
        assert_eq!(
            decide(Some(&outsider), Action::WriteFiles, Some(&security)),
            Decision::Deny(Denial::NotConnectionUser)
        );
    }

    #[test]
    fn an_emptied_restricted_list_means_administrators_only_never_everyone() {
        let security = DataSourceSecurity {
            data_source_id: 3,
            admins_restricted: true,
            users_restricted: true,
            ..Default::default()
        };
        let manager = user(12, &[Role::ManageDataSources], &[]);
        let plain = user(10, &[Role::User], &[]);
        let admin = user(1, &[Role::Administrator], &[]);
        assert!(
            !decide(
                Some(&manager),
                Action::AdministerDataSource,
                Some(&security)
            )
            .is_allowed()
        );
        assert!(!decide(Some(&plain), Action::UseDataSource, Some(&security)).is_allowed());
        assert!(decide(Some(&admin), Action::UseDataSource, Some(&security)).is_allowed());
    }

    #[test]
    fn data_source_actions_without_a_data_source_are_denied() {
        let admin = user(1, &[Role::Administrator], &[]);
        for action in [
            Action::AdministerDataSource,
            Action::UseDataSource,
            Action::WriteFiles,
        ] {
            assert!(!decide(Some(&admin), action, None).is_allowed());
        }
    }

    #[test]
    fn only_administrators_and_managers_create_data_sources() {
        for (roles, allowed) in [
            (&[Role::Administrator][..], true),
            (&[Role::ManageDataSources][..], true),
            (&[Role::DesignBusinessProcess][..], false),
            (&[Role::User][..], false),
        ] {
            assert_eq!(
                decide(Some(&user(5, roles, &[])), Action::CreateDataSource, None).is_allowed(),
                allowed
            );
        }
    }

    #[test]
    fn only_administrators_and_designers_design_forms() {
        for (roles, allowed) in [
            (&[Role::Administrator][..], true),
            (&[Role::DesignBusinessProcess][..], true),
            (&[Role::ManageDataSources][..], false),
            (&[Role::User][..], false),
        ] {
            assert_eq!(
                decide(Some(&user(5, roles, &[])), Action::DesignForms, None),
                if allowed {
                    Decision::Allow
                } else {
                    Decision::Deny(Denial::MayNotDesignForms)
                }
            );
        }
    }

    #[test]
    fn a_listed_connection_administrator_enters_data_sources_without_the_role() {
        let mut listed = user(20, &[Role::User], &[]);
        assert!(!areas_for(&listed).contains(&Area::DataSources));
        listed.listed_as_connection_administrator = true;
        assert!(areas_for(&listed).contains(&Area::DataSources));
        assert!(!areas_for(&listed).contains(&Area::Users));
    }

    #[test]
    fn every_denial_has_a_sentence() {
        for denial in [
            Denial::NotSignedIn,
            Denial::PasswordChangeRequired,
            Denial::AreaNotAllowed(Area::Users),
            Denial::MayNotCreateDataSources,
            Denial::NotConnectionAdministrator,
            Denial::NotConnectionUser,
            Denial::ReadOnly,
            Denial::MayNotDesignForms,
        ] {
            assert!(denial.sentence().ends_with('.'), "{denial:?}");
        }
    }
}
