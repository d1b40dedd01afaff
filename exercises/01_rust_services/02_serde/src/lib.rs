//! Request and response types with serde: renames, defaults, validation during deserialization.

use serde::{Deserialize, Serialize};

/// A validated, normalised email address. The only way to make one is `Email::try_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// TODO: make serde deserialize a String and pass it through `TryFrom<String>` (and serialize as
// the plain string).
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;

    /// Trims, lowercases, and checks `local@domain.tld`: exactly one `@`, both sides non-empty,
    /// and a `.` inside the domain (not at its start or end). The error message names the value.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        todo!("validate and normalise `value`")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
// TODO: spell the variants "admin" and "member" in JSON, and derive `Default` with `Member` as
// the default variant (`#[default]`).
pub enum Role {
    Admin,
    Member,
}

/// The body of `POST /users`.
#[derive(Debug, Deserialize)]
// TODO: camelCase field names; unknown fields are an error.
pub struct CreateUser {
    pub email: Email,
    pub display_name: String,
    // TODO: optional in JSON; defaults to Role::Member.
    pub role: Role,
}

/// What the API returns for a user.
#[derive(Debug, Serialize)]
// TODO: camelCase field names.
pub struct UserView {
    pub id: u64,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    // TODO: leave this out of the JSON when it is None.
    pub last_login: Option<String>,
}

/// Parses a request body; the error is serde's message, which names the offending field.
pub fn parse_create_user(body: &str) -> Result<CreateUser, String> {
    serde_json::from_str(body).map_err(|e| e.to_string())
}
