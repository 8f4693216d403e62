//! Patch extraction: what kiln's blocks did not reproduce, found by comparing each input
//! object with the object kiln generates for it, becomes `patch KIND { path = value }`
//! lines. Nothing of the input is dropped: a value kiln writes differently, a field it
//! does not write, an extra list item (a second container, a toleration) each becomes
//! a patch line, addressed in the generated object (list items by their key, so an
//! input item lands on the generated item it corresponds to, or is appended).

use super::map::Target;
use crate::diff::normalize::item_key;
use serde_json::Value;

/// One patch line.
#[derive(Debug, Clone, PartialEq)]
pub struct Set {
    /// Path segments in the generated object (list indexes as digits).
    pub path: Vec<String>,
    /// The value (a scalar, `null` to remove, or a list of scalars).
    pub value: Value,
}

/// The result for one object: patch lines, and paths whose value kiln cannot write.
#[derive(Debug, Default)]
pub struct Extracted {
    /// The lines.
    pub sets: Vec<Set>,
    /// Input paths (dotted) that cannot be written as a kiln value (a negative number).
    pub unwritable: Vec<String>,
}

/// Compares `input` with `kiln` (the generated object) and returns the patch lines that
/// make the generated object carry every input value.
pub fn extract(input: &Value, kiln: &Value, t: &Target) -> Extracted {
    let mut out = Extracted::default();
    let mut w = Walker {
        t,
        out: &mut out,
        path: Vec::new(),
        depth: 0,
    };
    if let Some(m) = input.as_object() {
        for (k, v) in m {
            if k == "apiVersion" || k == "kind" || k == "status" {
                continue;
            }
            w.walk(k, v, kiln.get(k), &format!("/{}", escape(k)));
        }
    }
    out
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

struct Walker<'a> {
    t: &'a Target,
    out: &'a mut Extracted,
    path: Vec<String>,
    depth: usize,
}

impl Walker<'_> {
    fn skipped(&self, ptr: &str) -> bool {
        self.t.skip.iter().any(|s| {
            ptr == s
                || ptr
                    .strip_prefix(s.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
    }

    fn emit(&mut self, value: Value) {
        let ok = super::write::json(&value).is_some();
        if ok {
            self.out.sets.push(Set {
                path: self.path.clone(),
                value,
            });
        } else {
            self.out.unwritable.push(self.path.join("."));
        }
    }

    /// Walks input value `i` at key `key` (pointer `ptr` in input coordinates), whose
    /// counterpart in the generated object is `k`.
    fn walk(&mut self, key: &str, i: &Value, k: Option<&Value>, ptr: &str) {
        if self.skipped(ptr) || self.depth > 60 {
            return;
        }
        self.path.push(key.to_owned());
        self.depth += 1;
        match i {
            Value::Object(m) => {
                let kobj = k.and_then(Value::as_object);
                if m.is_empty() && kobj.is_none() {
                    // `emptyDir: {}`: the only empty object that says something; kiln
                    // writes it by clearing a field inside it.
                    if key == "emptyDir" {
                        self.path.push("medium".into());
                        self.out.sets.push(Set {
                            path: self.path.clone(),
                            value: Value::Null,
                        });
                        self.path.pop();
                    }
                }
                for (ck, cv) in m {
                    let kv = kobj.and_then(|o| o.get(ck));
                    self.walk(ck, cv, kv, &format!("{ptr}/{}", escape(ck)));
                }
            }
            Value::Array(items) => self.list(key, items, k, ptr),
            scalar => {
                if !k.is_some_and(|kv| same(scalar, kv)) {
                    self.emit(scalar.clone());
                }
            }
        }
        self.depth -= 1;
        self.path.pop();
    }

    fn list(&mut self, key: &str, items: &[Value], k: Option<&Value>, ptr: &str) {
        let klist: &[Value] = k.and_then(Value::as_array).map_or(&[], Vec::as_slice);
        if items.iter().all(|v| !v.is_object() && !v.is_array()) {
            if k.is_none_or(|kv| kv != &Value::Array(items.to_vec())) {
                self.emit(Value::Array(items.to_vec()));
            }
            return;
        }
        let main_container =
            self.t.kind != "Service" && key == "containers" && ptr.ends_with("/spec/containers");
        let mut appended = 0usize;
        let mut used = vec![false; klist.len()];
        for (ii, item) in items.iter().enumerate() {
            let item_ptr = format!("{ptr}/{ii}");
            if self.skipped(&item_ptr) {
                continue;
            }
            // Env entries and envFrom sources the mapping wrote as kiln values (of the
            // main container, or of a sidecar or init container).
            let sets =
                if ptr.ends_with("/containers/0/env") || ptr.ends_with("/containers/0/envFrom") {
                    Some((&self.t.env_mapped, &self.t.env_from_mapped))
                } else {
                    ptr.strip_suffix("/envFrom")
                        .or_else(|| ptr.strip_suffix("/env"))
                        .and_then(|c| self.t.container_env.get(c))
                        .map(|(a, b)| (a, b))
                };
            if ptr.ends_with("/env")
                && let Some((names, _)) = sets
                && let Some(n) = item.get("name").and_then(Value::as_str)
                && names.contains(n)
            {
                continue;
            }
            if ptr.ends_with("/envFrom")
                && let Some((_, sources)) = sets
            {
                let src = item
                    .pointer("/secretRef/name")
                    .and_then(Value::as_str)
                    .map(|n| format!("secret:{n}"))
                    .or_else(|| {
                        item.pointer("/configMapRef/name")
                            .and_then(Value::as_str)
                            .map(|n| format!("configmap:{n}"))
                    });
                if src.is_some_and(|s| sources.contains(&s)) {
                    continue;
                }
            }
            let found = if main_container && ii == 0 {
                (!klist.is_empty()).then_some(0)
            } else if let Some(key_of) = item_key(key, item) {
                klist.iter().enumerate().position(|(ki, kv)| {
                    // The main container pairs with the generated main container only.
                    let taken =
                        used.get(ki).copied().unwrap_or(true) || (main_container && ki == 0);
                    !taken && item_key(key, kv) == Some(key_of.clone())
                })
            } else if ii < klist.len() && !used[ii] {
                Some(ii)
            } else {
                None
            };
            match found {
                Some(ki) => {
                    used[ki] = true;
                    self.walk(&ki.to_string(), item, klist.get(ki), &item_ptr);
                }
                None => {
                    let idx = klist.len() + appended;
                    appended += 1;
                    self.walk(&idx.to_string(), item, None, &item_ptr);
                }
            }
        }
    }
}

/// Whether two scalars mean the same (`"8080"` and 8080, `1` and `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_f64().map(|f| f.to_string()),
        _ => None,
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(_), Value::Number(_)) | (Value::Number(_), Value::String(_)) => {
            text(a).is_some() && text(a) == text(b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeSet;

    fn target() -> Target {
        Target {
            input: 0,
            kind: "Deployment".into(),
            block: "web".into(),
            block_kind: "service".into(),
            skip: vec!["/metadata/name".into()],
            env_mapped: BTreeSet::new(),
            env_from_mapped: BTreeSet::new(),
            container_env: std::collections::BTreeMap::new(),
            reshaped: None,
        }
    }

    #[test]
    fn differences_become_sets() {
        let input = json!({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"spec": {
            "containers": [{"name": "app", "image": "a:1", "imagePullPolicy": "IfNotPresent"},
                           {"name": "proxy", "image": "p:1"}],
            "priorityClassName": "high"}}}});
        let kiln = json!({"kind": "Deployment", "metadata": {"name": "shop-web"}, "spec": {"template": {"spec": {
            "containers": [{"name": "web", "image": "a:1", "imagePullPolicy": "Always"}]}}}});
        let e = extract(&input, &kiln, &target());
        let lines: Vec<String> = e
            .sets
            .iter()
            .map(|s| format!("{}={}", s.path.join("."), s.value))
            .collect();
        assert_eq!(
            lines,
            [
                "spec.template.spec.containers.0.name=\"app\"",
                "spec.template.spec.containers.0.imagePullPolicy=\"IfNotPresent\"",
                "spec.template.spec.containers.1.name=\"proxy\"",
                "spec.template.spec.containers.1.image=\"p:1\"",
                "spec.template.spec.priorityClassName=\"high\"",
            ]
        );
    }

    #[test]
    fn negative_numbers_are_reported() {
        let input = json!({"spec": {"x": -1}});
        let e = extract(&input, &json!({}), &target());
        assert_eq!(e.unwritable, ["spec.x"]);
    }
}
