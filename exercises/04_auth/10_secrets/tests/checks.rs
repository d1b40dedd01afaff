use std::collections::HashMap;

use auth_secrets::{Config, ConfigError};

const DB_PASSWORD: &str = "pg-s3cr3t-p4ss";
const JWT: &str = "jwt-signing-key-0123456789abcdefghijk";
const API_KEY: &str = "ak_live_7Hq2mV9xLp4Rz8Nc";

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn good() -> HashMap<String, String> {
    vars(&[
        (
            "DATABASE_URL",
            &format!("postgres://app:{DB_PASSWORD}@db.internal:5432/app"),
        ),
        ("JWT_SECRET", JWT),
        ("API_KEY", API_KEY),
    ])
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in [DB_PASSWORD, JWT, API_KEY] {
        assert!(
            !text.contains(secret),
            "{what} shows a secret ({secret}): {text}"
        );
    }
}

#[test]
fn the_configuration_loads() {
    let config = Config::from_vars(&good()).unwrap();
    assert_eq!(config.port, 8080, "PORT defaults to 8080");
    let mut with_port = good();
    with_port.insert("PORT".into(), "9000".into());
    assert_eq!(Config::from_vars(&with_port).unwrap().port, 9000);
}

/// The most common leak: `tracing::info!("starting with {config:?}")`, or a panic that prints it.
#[test]
fn debug_output_shows_no_secret() {
    let config = Config::from_vars(&good()).unwrap();
    assert_no_secret(&format!("{config:?}"), "{config:?}");
    assert_no_secret(&format!("{config:#?}"), "{config:#?}");
}

#[test]
fn the_database_url_can_be_shown_without_its_password() {
    let config = Config::from_vars(&good()).unwrap();
    assert_eq!(
        config.redacted_database_url(),
        "postgres://app:***@db.internal:5432/app"
    );
    let mut no_password = good();
    no_password.insert(
        "DATABASE_URL".into(),
        "postgres://app@db.internal/app".into(),
    );
    assert_eq!(
        Config::from_vars(&no_password)
            .unwrap()
            .redacted_database_url(),
        "postgres://app@db.internal/app",
        "nothing to hide: shown as it is"
    );
    // A (bad) password that also spells the host and the database: only the password goes.
    let mut tricky = good();
    tricky.insert("DATABASE_URL".into(), "postgres://app:db@db:5432/db".into());
    assert_eq!(
        Config::from_vars(&tricky).unwrap().redacted_database_url(),
        "postgres://app:***@db:5432/db",
        "replace the URL's password, not every occurrence of its text"
    );
}

#[test]
fn errors_name_the_variable_but_never_show_its_value() {
    let mut missing = good();
    missing.remove("JWT_SECRET");
    assert_eq!(
        Config::from_vars(&missing).unwrap_err(),
        ConfigError::Missing("JWT_SECRET")
    );
    let cases = [
        (
            "DATABASE_URL",
            format!("postgres//app:{DB_PASSWORD}@db/app"),
        ),
        ("DATABASE_URL", format!("mysql://app:{DB_PASSWORD}@db/app")),
        ("JWT_SECRET", JWT[..20].to_owned()),
        ("PORT", format!("80{API_KEY}")),
    ];
    for (name, value) in cases {
        let mut bad = good();
        bad.insert(name.into(), value.clone());
        let err = Config::from_vars(&bad).expect_err(&format!("{name} is invalid"));
        let text = err.to_string();
        assert!(text.contains(name), "the error names {name}: {text}");
        assert!(
            !text.contains(&value)
                && !text.contains(DB_PASSWORD)
                && !text.contains(&JWT[..20])
                && !text.contains(API_KEY),
            "the error about {name} shows its value: {text}"
        );
        assert_no_secret(&format!("{err:?}"), "the error's Debug");
    }
    let mut empty = good();
    empty.insert("API_KEY".into(), String::new());
    assert!(
        Config::from_vars(&empty)
            .unwrap_err()
            .to_string()
            .contains("API_KEY")
    );
}

#[test]
fn the_api_key_is_checked_exactly() {
    let config = Config::from_vars(&good()).unwrap();
    assert!(config.api_key_matches(API_KEY));
    for wrong in [
        "",
        &API_KEY[..API_KEY.len() - 1],
        &format!("{API_KEY} "),
        &API_KEY.to_uppercase(),
    ] {
        assert!(!config.api_key_matches(wrong), "{wrong:?}");
    }
}
