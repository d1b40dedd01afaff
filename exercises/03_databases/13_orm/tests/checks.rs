use backlings_support_db::db;
use pg_orm::{
    DomainCount, OrmError, active_by_name, create, find_by_email, rename, users_per_domain,
};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector};

/// SeaORM on the test's own database (sqlx underneath: the same pool type as before).
async fn orm() -> (DatabaseConnection, sqlx::PgPool) {
    let pool = db::isolated_pool().await;
    (
        SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone()),
        pool,
    )
}

#[tokio::test]
async fn create_and_find() {
    let (db, _) = orm().await;
    let ada = create(&db, "ada@example.com", "Ada").await.expect("create");
    assert!(ada.id > 0, "the database assigns the id");
    assert!(ada.active, "new users are active");
    assert_eq!(
        find_by_email(&db, "ada@example.com").await.unwrap(),
        Some(ada)
    );
    assert_eq!(
        find_by_email(&db, "nobody@example.com").await.unwrap(),
        None
    );
    assert_eq!(
        find_by_email(&db, "' OR ''='").await.unwrap(),
        None,
        "the ORM binds values as parameters"
    );
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict() {
    let (db, _) = orm().await;
    create(&db, "grace@example.com", "Grace").await.unwrap();
    match create(&db, "grace@example.com", "Grace again").await {
        Err(OrmError::Conflict) => {}
        other => panic!("a second grace@example.com: expected Conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn active_users_by_name() {
    let (db, pool) = orm().await;
    for (email, name) in [
        ("z@a.io", "Zoe"),
        ("b@a.io", "Bob"),
        ("m@a.io", "Mia"),
        ("b2@a.io", "Bob"),
        ("x@a.io", "Al"),
    ] {
        create(&db, email, name).await.unwrap();
    }
    sqlx::query("UPDATE users SET active = FALSE WHERE email = 'x@a.io'")
        .execute(&pool)
        .await
        .unwrap();
    // Rewriting the first Bob moves his row to the end of the table: without the tie-breaker,
    // the two Bobs would come back in storage order.
    sqlx::query("UPDATE users SET name = name WHERE email = 'b@a.io'")
        .execute(&pool)
        .await
        .unwrap();
    let got: Vec<(String, String)> = active_by_name(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.email))
        .collect();
    let want: Vec<(String, String)> = [
        ("Bob", "b@a.io"),
        ("Bob", "b2@a.io"),
        ("Mia", "m@a.io"),
        ("Zoe", "z@a.io"),
    ]
    .into_iter()
    .map(|(n, e)| (n.to_owned(), e.to_owned()))
    .collect();
    assert_eq!(
        got, want,
        "active users only, by name, then by id (creation order)"
    );
}

#[tokio::test]
async fn rename_changes_the_name_and_nothing_else() {
    let (db, pool) = orm().await;
    let linus = create(&db, "linus@example.com", "Linus").await.unwrap();
    let other = create(&db, "other@example.com", "Other").await.unwrap();
    // Someone else deactivates the user after we loaded it.
    sqlx::query("UPDATE users SET active = FALSE WHERE id = $1")
        .bind(linus.id)
        .execute(&pool)
        .await
        .unwrap();
    let renamed = rename(&db, linus.id, "Linus T.").await.expect("rename");
    assert_eq!(renamed.name, "Linus T.");
    let active: bool = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
        .bind(linus.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !active,
        "rename must update the name column only, not write back a stale `active`"
    );
    assert!(matches!(
        rename(&db, linus.id + 100, "x").await,
        Err(OrmError::NotFound)
    ));
    let other_now = find_by_email(&db, "other@example.com").await.unwrap();
    assert_eq!(other_now, Some(other), "only the renamed user changes");
}

#[tokio::test]
async fn users_per_domain_is_a_plain_sql_report() {
    let (db, _) = orm().await;
    for email in [
        "a@zeta.io",
        "d@beta.io",
        "b@zeta.io",
        "c@acme.io",
        "g@beta.io",
        "e@acme.io",
        "f@zeta.io",
    ] {
        create(&db, email, "x").await.unwrap();
    }
    let d = |domain: &str, users| DomainCount {
        domain: domain.to_owned(),
        users,
    };
    assert_eq!(
        users_per_domain(&db).await.unwrap(),
        [d("zeta.io", 3), d("acme.io", 2), d("beta.io", 2)],
        "most users first, then by domain"
    );
}
