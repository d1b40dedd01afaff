//! The harness used the way a suite uses it: a user journey through the real server with a
//! cookie-keeping client, then fifty journeys at once on the multi-threaded runtime — each its
//! own server and its own users, none colliding — and, once they are done, no server left.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use backlings_support::until;
use e2e_harness::{LIVE_SERVERS, Me, TestApp, new_user, spawn_app};
use serde_json::json;

/// Sign up, log in (the session cookie is kept), see yourself, log out, be nobody.
async fn journey(app: &TestApp) -> Me {
    let user = new_user();
    let created = app
        .client
        .post(format!("{}/users", app.address))
        .json(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        201,
        "signing up {} failed: is the email unique?",
        user.email
    );
    let me: Me = created.json().await.unwrap();
    let login = app
        .client
        .post(format!("{}/sessions", app.address))
        .json(&json!({"email": user.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 204);
    let seen = app
        .client
        .get(format!("{}/me", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.status(),
        200,
        "after logging in, /me does not know the user: does the client keep cookies?"
    );
    assert_eq!(seen.json::<Me>().await.unwrap(), me);
    let out = app
        .client
        .delete(format!("{}/sessions", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = app
        .client
        .get(format!("{}/me", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        401,
        "after logging out the session still works"
    );
    me
}

#[test]
fn the_factory_never_repeats_itself_even_across_threads() {
    let emails: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| (0..500).map(|_| new_user().email).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let distinct: BTreeSet<&String> = emails.iter().collect();
    assert_eq!(
        distinct.len(),
        emails.len(),
        "the factory returned an email twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_journeys_at_once_each_on_its_own_server_and_none_left_running() {
    // One journey, and what the harness gives a test.
    let app = spawn_app().await;
    assert!(
        app.address.starts_with("http://127.0.0.1:"),
        "{}",
        app.address
    );
    let me = journey(&app).await;
    let stored: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(me.id)
        .fetch_one(&app.db)
        .await
        .expect("the test can look into the app's database");
    assert_eq!(stored, me.email);
    drop(app);

    let runs: Vec<_> = (0..50)
        .map(|_| {
            tokio::spawn(async {
                let app = spawn_app().await;
                let me = journey(&app).await;
                (app.address.clone(), me.email)
            })
        })
        .collect();
    let mut addresses = BTreeSet::new();
    let mut emails = BTreeSet::new();
    for run in futures_util::future::join_all(runs).await {
        let (address, email) = run.expect("a journey failed");
        addresses.insert(address);
        emails.insert(email);
    }
    assert_eq!(addresses.len(), 50, "instances shared an address");
    assert_eq!(emails.len(), 50);
    until(Duration::from_secs(3), "every server to stop", || {
        LIVE_SERVERS.load(Ordering::SeqCst) == 0
    })
    .await;
}
