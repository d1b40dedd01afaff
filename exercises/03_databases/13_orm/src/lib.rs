//! The users repository again, with SeaORM — and raw SQL where it says more.

use sea_orm::entity::prelude::*;
#[allow(unused_imports)] // you will need them
use sea_orm::{ActiveValue::Set, DbBackend, FromQueryResult, QueryOrder, SqlErr, Statement};

/// The `users` table as an entity: SeaORM derives the column enum, the model and the active model.
pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub email: String,
        pub name: String,
        pub active: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Debug, thiserror::Error)]
pub enum OrmError {
    #[error("no such user")]
    NotFound,
    #[error("this email is already registered")]
    Conflict,
    #[error(transparent)]
    Db(DbErr),
}

impl From<DbErr> for OrmError {
    fn from(e: DbErr) -> Self {
        // TODO: a unique violation is a Conflict. Look at `e.sql_err()`.
        OrmError::Db(e)
    }
}

/// Inserts an active user and returns it with its id.
pub async fn create(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
) -> Result<user::Model, OrmError> {
    let _ = (db, email, name);
    todo!()
}

pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, OrmError> {
    let _ = (db, email);
    todo!()
}

/// Active users, by name then id.
pub async fn active_by_name(db: &DatabaseConnection) -> Result<Vec<user::Model>, OrmError> {
    let _ = db;
    todo!()
}

/// Changes the name only (the UPDATE sets just the columns marked `Set`).
pub async fn rename(db: &DatabaseConnection, id: i64, name: &str) -> Result<user::Model, OrmError> {
    let _ = (db, id, name);
    todo!()
}

#[derive(Debug, PartialEq, Eq, FromQueryResult)]
pub struct DomainCount {
    pub domain: String,
    pub users: i64,
}

/// Users per email domain, most first, then by domain. A report query: plain SQL is clearer than
/// the query builder, and SeaORM still maps the rows.
pub async fn users_per_domain(db: &DatabaseConnection) -> Result<Vec<DomainCount>, OrmError> {
    // TODO: plain SQL through `DomainCount::find_by_statement(Statement::from_string(..))`.
    let _ = (db, DbBackend::Postgres);
    todo!()
}
