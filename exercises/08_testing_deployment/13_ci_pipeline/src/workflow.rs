//! The parts of a GitHub Actions workflow file this exercise reads, as typed structs
//! (serde). Unknown keys are ignored, as GitHub ignores nothing: the tests check the keys
//! that matter. Given; nothing to change here.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct Workflow {
    pub name: String,
    /// `on:` — the events that start the workflow.
    #[serde(rename = "on")]
    pub triggers: BTreeMap<String, Option<Trigger>>,
    /// Workflow-wide token permissions; every job inherits them unless it sets its own.
    pub permissions: Option<Permissions>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Trigger {
    #[serde(default)]
    pub branches: Vec<String>,
}

/// `permissions: read-all`, `write-all`, or a map of scope → `read`/`write`/`none`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Permissions {
    All(String),
    Scopes(BTreeMap<String, String>),
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Job {
    #[serde(rename = "runs-on")]
    pub runs_on: Option<String>,
    #[serde(default)]
    pub needs: Needs,
    #[serde(rename = "if")]
    pub condition: Option<String>,
    pub permissions: Option<Permissions>,
    pub environment: Option<String>,
    #[serde(default)]
    pub services: BTreeMap<String, ServiceContainer>,
    pub strategy: Option<Strategy>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// `needs: test` or `needs: [test, lint]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Needs {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Needs {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Needs::None => Vec::new(),
            Needs::One(n) => vec![n.as_str()],
            Needs::Many(ns) => ns.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServiceContainer {
    pub image: String,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub ports: Vec<String>,
    /// Extra `docker create` options, e.g. `--health-cmd "pg_isready"`.
    pub options: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Strategy {
    pub matrix: Matrix,
}

/// `matrix:` — each key a list of values, plus `include` and `exclude` lists of entries.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Matrix {
    #[serde(default)]
    pub include: Vec<BTreeMap<String, Value>>,
    #[serde(default)]
    pub exclude: Vec<BTreeMap<String, Value>>,
    #[serde(flatten)]
    pub axes: BTreeMap<String, Vec<Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Step {
    pub name: Option<String>,
    /// `owner/repo@ref`.
    pub uses: Option<String>,
    /// A shell script.
    pub run: Option<String>,
    #[serde(default)]
    pub with: BTreeMap<String, Value>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

pub fn parse(yaml: &str) -> Result<Workflow, serde_saphyr::Error> {
    serde_saphyr::from_str(yaml)
}
