use backlings_support_db::db;
use pg_repository::{InMemoryUserRepository, NewUser, PgUserRepository, RepoError, UserRepository};

fn new_user(email: &str, handle: &str) -> NewUser {
    NewUser {
        email: email.into(),
        handle: handle.into(),
        name: "Ada Lovelace".into(),
    }
}

/// The contract every UserRepository keeps. Run against the in-memory one (given) and yours.
async fn contract(repo: impl UserRepository) {
    let ada = repo
        .create(new_user("ada@example.com", "ada"))
        .await
        .expect("create ada");
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(
        repo.get(ada.id).await.expect("get ada"),
        ada,
        "get returns what create stored"
    );
    assert_eq!(
        repo.find_by_email("ada@example.com").await.expect("find"),
        Some(ada.clone())
    );
    assert_eq!(
        repo.find_by_email("nobody@example.com")
            .await
            .expect("find"),
        None
    );
    assert!(
        matches!(repo.get(ada.id + 1000).await, Err(RepoError::NotFound)),
        "an unknown id is NotFound, not a database error"
    );

    let bob = repo
        .create(new_user("bob@example.com", "bob"))
        .await
        .expect("create bob");
    match repo.create(new_user("ada@example.com", "ada2")).await {
        Err(RepoError::Conflict { field: "email" }) => {}
        other => {
            panic!("a second user with ada's email: expected Conflict on email, got {other:?}")
        }
    }
    match repo.create(new_user("ada2@example.com", "ada")).await {
        Err(RepoError::Conflict { field: "handle" }) => {}
        other => {
            panic!("a second user with ada's handle: expected Conflict on handle, got {other:?}")
        }
    }
    match repo.change_email(bob.id, "ada@example.com").await {
        Err(RepoError::Conflict { field: "email" }) => {}
        other => panic!("bob taking ada's email: expected Conflict on email, got {other:?}"),
    }
    assert_eq!(
        repo.get(bob.id).await.unwrap().email,
        "bob@example.com",
        "a refused change changes nothing"
    );
    let bob2 = repo
        .change_email(bob.id, "robert@example.com")
        .await
        .expect("a free email");
    assert_eq!(bob2.email, "robert@example.com");
    assert_eq!(repo.get(bob.id).await.unwrap(), bob2);
    assert!(matches!(
        repo.change_email(ada.id + 1000, "x@example.com").await,
        Err(RepoError::NotFound)
    ));

    let mut blank = new_user("c@example.com", "c");
    blank.name = "   ".into();
    match repo.create(blank).await {
        Err(RepoError::Invalid(_)) => {}
        other => panic!(
            "a blank name breaks a CHECK: expected Invalid, not a Conflict or a 500: {other:?}"
        ),
    }

    repo.delete(ada.id).await.expect("delete ada");
    assert!(matches!(repo.get(ada.id).await, Err(RepoError::NotFound)));
    assert!(
        matches!(repo.delete(ada.id).await, Err(RepoError::NotFound)),
        "deleting twice: NotFound"
    );
    repo.create(new_user("ada@example.com", "ada"))
        .await
        .expect("after a delete, the email is free again");
}

#[tokio::test]
async fn the_in_memory_repository_keeps_the_contract() {
    contract(InMemoryUserRepository::default()).await;
}

#[tokio::test]
async fn the_postgres_repository_keeps_the_contract() {
    contract(PgUserRepository::new(db::isolated_pool().await)).await;
}

#[tokio::test]
async fn concurrent_signups_with_one_email_give_one_user_and_conflicts() {
    let repo = std::sync::Arc::new(PgUserRepository::new(db::isolated_pool().await));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let repo = repo.clone();
            tokio::spawn(async move {
                repo.create(new_user("race@example.com", &format!("r{i}")))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(RepoError::Conflict { field: "email" }) => {}
            Err(e) => panic!("a lost race is a Conflict, never {e:?}"),
        }
    }
    assert_eq!(
        created, 1,
        "the UNIQUE constraint lets exactly one signup win"
    );
}

#[tokio::test]
async fn other_database_errors_stay_database_errors() {
    let pool = db::isolated_pool().await;
    sqlx::query("DROP TABLE users")
        .execute(&pool)
        .await
        .unwrap();
    let repo = PgUserRepository::new(pool);
    match repo.get(1).await {
        Err(RepoError::Database(_)) => {}
        other => panic!("a missing table is not NotFound: expected Database, got {other:?}"),
    }
}
