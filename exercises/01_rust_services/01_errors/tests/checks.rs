use std::collections::HashMap;
use std::error::Error;

use errors_across_layers::*;

fn repo() -> UserRepo {
    UserRepo {
        users: HashMap::from([(7, "ada".to_owned())]),
        broken: None,
    }
}

#[test]
fn repo_errors_have_precise_messages() {
    assert_eq!(
        RepoError::NotFound(7).to_string(),
        "user 7 not found",
        "use {{0}} in #[error(...)] to show the id"
    );
    assert_eq!(
        RepoError::Database("connection reset".into()).to_string(),
        "database error: connection reset"
    );
}

#[test]
fn parse_user_id_accepts_numbers() {
    assert_eq!(parse_user_id("42").unwrap(), 42);
}

#[test]
fn invalid_id_keeps_its_cause() {
    let err = parse_user_id("forty-two").unwrap_err();
    assert!(
        matches!(err, ServiceError::InvalidId(_)),
        "expected InvalidId, got {err:?}"
    );
    assert_eq!(err.to_string(), "invalid user id");
    let source = err
        .source()
        .expect("InvalidId must expose the ParseIntError as its source(): use #[from]");
    assert!(
        source.downcast_ref::<std::num::ParseIntError>().is_some(),
        "the source of InvalidId should be the ParseIntError itself, not a copy of its text"
    );
}

#[test]
fn user_name_finds_users() {
    assert_eq!(user_name(&repo(), "7").unwrap(), "ada");
}

#[test]
fn missing_user_is_404_and_keeps_the_repo_error() {
    let err = user_name(&repo(), "8").unwrap_err();
    assert_eq!(err.to_string(), "user lookup failed");
    let source = err
        .source()
        .expect("Repo must expose the RepoError as its source(): use #[from]");
    assert_eq!(source.to_string(), "user 8 not found");
    assert_eq!(
        status_code(&err),
        404,
        "a missing user is the client's 404, not our 500"
    );
    assert_eq!(public_message(&err), "user lookup failed");
}

#[test]
fn bad_id_is_400() {
    let err = user_name(&repo(), "x").unwrap_err();
    assert_eq!(status_code(&err), 400);
    assert_eq!(public_message(&err), "invalid user id");
}

#[test]
fn database_failure_is_500_and_hides_details() {
    let broken = UserRepo {
        users: HashMap::new(),
        broken: Some("password authentication failed for user app".into()),
    };
    let err = user_name(&broken, "7").unwrap_err();
    assert_eq!(status_code(&err), 500);
    let public = public_message(&err);
    assert_eq!(
        public, "internal server error",
        "never show database details to clients"
    );
    assert!(
        err.source()
            .unwrap()
            .to_string()
            .contains("password authentication failed"),
        "...but keep them in the error chain for the logs"
    );
}

#[test]
fn database_failure_wins_over_a_valid_id() {
    let broken = UserRepo {
        users: HashMap::from([(7, "ada".into())]),
        broken: Some("timeout".into()),
    };
    assert!(matches!(
        user_name(&broken, "7"),
        Err(ServiceError::Repo(RepoError::Database(_)))
    ));
}
