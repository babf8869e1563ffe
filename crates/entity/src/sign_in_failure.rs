use sea_orm::entity::prelude::*;

/// Recent failed sign-ins for one key (`user:<name>` or `addr:<ip>`), for throttling.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub failures: i32,
    pub first_failed_at: TimeDateTimeWithTimeZone,
    pub last_failed_at: TimeDateTimeWithTimeZone,
    pub blocked_until: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
