use serde_json::json;
use serde_requests::*;

#[test]
fn parses_a_complete_request() {
    let u = parse_create_user(
        r#"{"email": "Ada@Example.com ", "displayName": "Ada", "role": "admin"}"#,
    )
    .expect("a valid body must parse");
    assert_eq!(
        u.email.as_str(),
        "ada@example.com",
        "emails are trimmed and lowercased"
    );
    assert_eq!(
        u.display_name, "Ada",
        "JSON `displayName` maps to `display_name`: rename_all = \"camelCase\""
    );
    assert_eq!(
        u.role,
        Role::Admin,
        "roles are spelled in lowercase in JSON"
    );
}

#[test]
fn role_defaults_to_member() {
    let u = parse_create_user(r#"{"email": "a@b.io", "displayName": "A"}"#)
        .expect("`role` is optional: use #[serde(default)]");
    assert_eq!(u.role, Role::Member);
}

#[test]
fn unknown_fields_are_rejected() {
    let err = parse_create_user(r#"{"email": "a@b.io", "displayName": "A", "emial": "typo@b.io"}"#)
        .expect_err(
            "a misspelled field must be an error, not silently ignored: deny_unknown_fields",
        );
    assert!(
        err.contains("emial"),
        "the error should name the unknown field, got: {err}"
    );
}

#[test]
fn snake_case_field_names_are_not_the_api() {
    assert!(
        parse_create_user(r#"{"email": "a@b.io", "display_name": "A"}"#).is_err(),
        "the API speaks camelCase; `display_name` is an unknown field"
    );
}

#[test]
fn invalid_emails_are_rejected_while_parsing() {
    for bad in [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "a@b@c.io",
        "ada@localhost",
        "ada@.com",
        "ada@com.",
    ] {
        let body = json!({"email": bad, "displayName": "A"}).to_string();
        let err = parse_create_user(&body).expect_err(&format!("{bad:?} is not a valid email"));
        assert!(
            err.contains("email"),
            "the error for {bad:?} should mention `email`, got: {err}"
        );
    }
}

#[test]
fn email_try_from_is_the_only_gate() {
    assert_eq!(
        Email::try_from("  X@Y.ORG".to_string()).unwrap().as_str(),
        "x@y.org"
    );
    assert!(Email::try_from("x@y".to_string()).is_err());
}

#[test]
fn views_serialize_in_camel_case_without_nulls() {
    let email = Email::try_from("ada@example.com".to_string()).unwrap();
    let view = UserView {
        id: 1,
        email: email.clone(),
        display_name: "Ada".into(),
        role: Role::Member,
        last_login: None,
    };
    assert_eq!(
        serde_json::to_value(&view).unwrap(),
        json!({"id": 1, "email": "ada@example.com", "displayName": "Ada", "role": "member"}),
        "camelCase keys, the email as a plain string, lowercase role, and no `lastLogin: null`"
    );
    let view = UserView {
        last_login: Some("2024-05-01T10:00:00Z".into()),
        role: Role::Admin,
        ..view
    };
    assert_eq!(
        serde_json::to_value(&view).unwrap()["lastLogin"],
        "2024-05-01T10:00:00Z"
    );
    assert_eq!(serde_json::to_value(&view).unwrap()["role"], "admin");
}
