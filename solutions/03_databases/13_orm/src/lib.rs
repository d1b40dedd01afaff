//! The users repository again, with SeaORM — and raw SQL where it says more.

use sea_orm::entity::prelude::*;
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
        // SeaORM classifies the driver's error for every backend: no SQLSTATE strings here.
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => OrmError::Conflict,
            _ => OrmError::Db(e),
        }
    }
}

/// Inserts an active user and returns it with its id.
pub async fn create(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
) -> Result<user::Model, OrmError> {
    let new = user::ActiveModel {
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        active: Set(true),
        ..Default::default()
    };
    Ok(new.insert(db).await?)
}

pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, OrmError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// Active users, by name then id.
pub async fn active_by_name(db: &DatabaseConnection) -> Result<Vec<user::Model>, OrmError> {
    Ok(user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Name)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// Changes the name only (the UPDATE sets just the columns marked `Set`).
pub async fn rename(db: &DatabaseConnection, id: i64, name: &str) -> Result<user::Model, OrmError> {
    let found = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(OrmError::NotFound)?;
    let mut changed: user::ActiveModel = found.into();
    changed.name = Set(name.to_owned());
    Ok(changed.update(db).await?)
}

#[derive(Debug, PartialEq, Eq, FromQueryResult)]
pub struct DomainCount {
    pub domain: String,
    pub users: i64,
}

/// Users per email domain, most first, then by domain. A report query: plain SQL is clearer than
/// the query builder, and SeaORM still maps the rows.
pub async fn users_per_domain(db: &DatabaseConnection) -> Result<Vec<DomainCount>, OrmError> {
    let sql = "SELECT split_part(email, '@', 2) AS domain, count(*) AS users \
               FROM users GROUP BY 1 ORDER BY 2 DESC, 1";
    Ok(
        DomainCount::find_by_statement(Statement::from_string(DbBackend::Postgres, sql))
            .all(db)
            .await?,
    )
}
