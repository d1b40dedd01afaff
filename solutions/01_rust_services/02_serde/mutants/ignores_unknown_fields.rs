//! accepts misspelled fields silently (no deny_unknown_fields)
//! Request and response types with serde: renames, defaults, validation during deserialization.

use serde::{Deserialize, Serialize};

/// A validated, normalised email address. The only way to make one is `Email::try_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let email = value.trim().to_lowercase();
        let invalid = || format!("invalid email address {value:?}: expected local@domain.tld");
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
        if local.is_empty() || domain.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(email))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    #[default]
    Member,
}

/// The body of `POST /users`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUser {
    pub email: Email,
    pub display_name: String,
    #[serde(default)]
    pub role: Role,
}

/// What the API returns for a user.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: u64,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
}

/// Parses a request body; the error is serde's message, which names the offending field.
pub fn parse_create_user(body: &str) -> Result<CreateUser, String> {
    serde_json::from_str(body).map_err(|e| e.to_string())
}
