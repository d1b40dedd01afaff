//! Structural validation of an OpenAPI 3.x document (as JSON): the checks a linter such as
//! Spectral's `oas` ruleset makes first, and the ones generated documents most often fail.

use serde_json::Value;

/// Every problem found in `doc`; empty means it validates.
pub fn problems(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match doc["openapi"].as_str() {
        Some(v) if v.starts_with("3.") => {}
        other => out.push(format!(
            "`openapi` must be a 3.x version string, got {other:?}"
        )),
    }
    for field in ["title", "version"] {
        if doc["info"][field].as_str().is_none_or(str::is_empty) {
            out.push(format!("info.{field} is required"));
        }
    }
    let Some(paths) = doc["paths"].as_object() else {
        out.push("`paths` must be an object".into());
        return out;
    };
    let mut operation_ids = Vec::new();
    for (path, item) in paths {
        if !path.starts_with('/') {
            out.push(format!("path {path:?} must start with /"));
        }
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in item.as_object().into_iter().flatten() {
            if ![
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                continue;
            }
            let at = format!("{} {path}", method.to_uppercase());
            if let Some(id) = op["operationId"].as_str() {
                if operation_ids.contains(&id.to_owned()) {
                    out.push(format!("{at}: operationId {id:?} is used twice"));
                }
                operation_ids.push(id.to_owned());
            }
            if op["responses"].as_object().is_none_or(|r| r.is_empty()) {
                out.push(format!("{at}: an operation needs at least one response"));
            }
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(item["parameters"].as_array().into_iter().flatten())
                .collect();
            for name in &templated {
                let declared = params
                    .iter()
                    .any(|p| p["name"] == *name && p["in"] == "path" && p["required"] == true);
                if !declared {
                    out.push(format!(
                        "{at}: path parameter {{{name}}} needs a parameter with in: path, required: true"
                    ));
                }
            }
            for p in params.iter().filter(|p| p["in"] == "path") {
                if !templated.iter().any(|n| p["name"] == *n) {
                    out.push(format!("{at}: parameter {} is not in the path", p["name"]));
                }
            }
        }
    }
    check_refs(doc, doc, "#", &mut out);
    out
}

/// Every `$ref` of the form `#/a/b` must point at something in the document.
fn check_refs(root: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let resolved = target
                    .strip_prefix('#')
                    .and_then(|pointer| root.pointer(pointer));
                if resolved.is_none() {
                    out.push(format!("{at}: $ref {target:?} points at nothing"));
                }
            }
            for (k, child) in map {
                check_refs(root, child, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(root, child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::problems;
    use serde_json::json;

    #[test]
    fn a_sound_document_has_no_problems() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": true}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}
            }}},
            "components": {"schemas": {"A": {"type": "object"}}}
        });
        assert_eq!(problems(&doc), Vec::<String>::new());
    }

    #[test]
    fn dangling_refs_and_undeclared_path_parameters_are_found() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a/{id}": {"get": {
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}
            }}}
        });
        let found = problems(&doc);
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
