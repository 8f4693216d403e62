//! The `patch` escape hatch: set arbitrary fields of a generated object by path, after
//! every default, checked against the Kubernetes schema of the object.
//!
//! The schema is k8s-openapi's own `Deserialize` implementations: each struct announces
//! its field names to `deserialize_struct`. A probing [`Deserializer`] walks a patch
//! path through them (offering one key at each level) and so learns, without any
//! schema file, whether each segment is a field, a map key, a list index, or a step
//! into a scalar; at the end of the path it hands the patch value to the field's own
//! deserializer, so the value's type is checked too.

use super::Cx;
use crate::check::model::{App, Patch, PatchSet};
use crate::diag::{Diagnostic, codes, suggest};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;

/// Kind aliases a `patch` block may use besides the lowercase kind.
const ALIASES: [(&str, &str); 4] = [
    ("hpa", "horizontalpodautoscaler"),
    ("pdb", "poddisruptionbudget"),
    ("pvc", "persistentvolumeclaim"),
    ("netpol", "networkpolicy"),
];

/// Applies a block's patches to the objects generated for it (`cx.objects[start..]`
/// whose block is `block`).
pub fn apply(cx: &mut Cx, app: &App, block: &str, patches: &[Patch], start: usize) {
    for patch in patches {
        let target = patch.target.to_ascii_lowercase();
        let target = ALIASES
            .iter()
            .find(|(a, _)| *a == target)
            .map_or(target.as_str(), |(_, k)| k);
        let targets: Vec<usize> = (start..cx.objects.len())
            .filter(|&i| {
                let o = &cx.objects[i];
                o.block == block && o.kind.eq_ignore_ascii_case(target)
            })
            .collect();
        let Some(&first) = targets.first() else {
            unknown_target(cx, app, block, patch, start);
            continue;
        };
        let kind = cx.objects[first].kind.clone();
        for set in &patch.sets {
            if let Err(d) = check(&kind, set) {
                cx.diags.push(*d);
                continue;
            }
            if is_name(&set.path) {
                rename(cx, &targets, set);
                continue;
            }
            for &i in &targets {
                if let Err(msg) = set_path(&mut cx.objects[i].value, &set.path, &set.value) {
                    cx.diags.push(
                        Diagnostic::new(
                            codes::PATCH_UNKNOWN_FIELD,
                            set.loc.file,
                            set.loc.span,
                            msg,
                        )
                        .label("cannot be set"),
                    );
                    break;
                }
            }
        }
    }
}

fn is_name(path: &[String]) -> bool {
    path.len() == 2 && path[0] == "metadata" && path[1] == "name"
}

/// Renames a Service (`patch service { metadata.name = "redis" }`: images that look up
/// a fixed host name). References to it are fixed by [`fix_references`].
fn rename(cx: &mut Cx, targets: &[usize], set: &PatchSet) {
    let new = set.value.as_str().unwrap_or_default();
    if !dns_1035_label(new) {
        cx.diags.push(
            Diagnostic::new(
                codes::PATCH_BAD_VALUE,
                set.loc.file,
                set.loc.span,
                format!("`{new}` is not a valid Service name"),
            )
            .label("not a DNS-1035 label")
            .help("a Service name is at most 63 lowercase letters, digits and `-`, starting with a letter"),
        );
        return;
    }
    for &i in targets {
        let o = &mut cx.objects[i];
        let old = std::mem::replace(&mut o.name, new.to_owned());
        if let Some(m) = o.value.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("name".to_owned(), Value::String(new.to_owned()));
        }
        cx.renamed_services
            .push((o.app.clone(), old, new.to_owned()));
    }
}

/// A DNS-1035 label: what a Service may be named (`patch service { metadata.name }`).
pub(crate) fn dns_1035_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.last()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Points Ingress backends and StatefulSet `serviceName`s of `app` at renamed Services.
pub fn fix_references(cx: &mut Cx, app: &App) {
    if cx.renamed_services.is_empty() {
        return;
    }
    let renames: Vec<(String, String)> = cx
        .renamed_services
        .iter()
        .filter(|(a, _, _)| *a == app.name)
        .map(|(_, old, new)| (old.clone(), new.clone()))
        .collect();
    let lookup = |name: &str| renames.iter().find(|(old, _)| old == name).map(|(_, n)| n);
    for o in cx.objects.iter_mut().filter(|o| o.app == app.name) {
        match o.kind.as_str() {
            "Ingress" => {
                let rules = o
                    .value
                    .pointer_mut("/spec/rules")
                    .and_then(Value::as_array_mut);
                for rule in rules.into_iter().flatten() {
                    let paths = rule
                        .pointer_mut("/http/paths")
                        .and_then(Value::as_array_mut);
                    for p in paths.into_iter().flatten() {
                        if let Some(Value::String(name)) = p.pointer_mut("/backend/service/name")
                            && let Some(new) = lookup(name)
                        {
                            *name = new.clone();
                        }
                    }
                }
            }
            "StatefulSet" => {
                if let Some(Value::String(name)) = o.value.pointer_mut("/spec/serviceName")
                    && let Some(new) = lookup(name)
                {
                    *name = new.clone();
                }
            }
            _ => {}
        }
    }
}

fn unknown_target(cx: &mut Cx, app: &App, block: &str, patch: &Patch, start: usize) {
    let mut kinds: Vec<String> = cx.objects[start..]
        .iter()
        .filter(|o| o.block == block)
        .map(|o| o.kind.to_ascii_lowercase())
        .collect();
    kinds.dedup();
    let mut d = Diagnostic::new(
        codes::PATCH_UNKNOWN_TARGET,
        patch.loc.file,
        patch.loc.span,
        format!(
            "`{block}` generates no `{}` to patch",
            patch.target.to_ascii_lowercase()
        ),
    )
    .label("no such object generated here");
    if let Some(s) = suggest::did_you_mean(&patch.target, kinds.iter().map(String::as_str)) {
        d = d.help(format!("did you mean `{s}`?"));
    } else {
        d = d.help("patch one of the kinds this block generates (see docs/output.md)");
    }
    if !kinds.is_empty() {
        d = d.note(format!(
            "`{block}` of app `{}` generates: {}",
            app.name,
            kinds.join(", ")
        ));
    }
    cx.diags.push(d);
}

fn dotted(path: &[String]) -> String {
    path.join(".")
}

/// Checks one `path = value` against the schema of `kind`.
fn check(kind: &str, set: &PatchSet) -> Result<(), Box<Diagnostic>> {
    let path = &set.path;
    // A Service may be renamed (its references are fixed); nothing else may change
    // what identifies an object.
    let protected = match path
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["apiVersion" | "kind" | "status", ..] | ["metadata", "namespace"] => true,
        ["metadata", "name"] => kind != "Service",
        _ => false,
    };
    if protected {
        return Err(Box::new(
            Diagnostic::new(
                codes::PATCH_PROTECTED_FIELD,
                set.loc.file,
                set.loc.span,
                format!("`{}` cannot be patched: kiln controls it", dotted(path)),
            )
            .label("controlled by kiln")
            .help("rename the block or the app instead"),
        ));
    }
    let found = RefCell::new(None);
    let probe = Probe {
        path,
        depth: 0,
        value: &set.value,
        found: &found,
    };
    let known = probe_kind(kind, probe);
    if !known {
        // A kind kiln has no schema for (a Traefik Middleware): nothing to check against.
        return Ok(());
    }
    let Some(problem) = found.into_inner() else {
        return Ok(());
    };
    let at = |depth: usize| dotted(path.get(..depth).unwrap_or(path));
    let d = match problem {
        Problem::UnknownField { depth, candidates } => {
            let field = path.get(depth).map_or("", String::as_str);
            let parent = if depth == 0 {
                kind.to_owned()
            } else {
                format!("`{}`", at(depth))
            };
            let mut d = Diagnostic::new(
                codes::PATCH_UNKNOWN_FIELD,
                set.loc.file,
                set.loc.span,
                format!("`{field}` is not a field of {parent} in a {kind}"),
            )
            .label("unknown field");
            match suggestion(field, &candidates) {
                Some(s) => d = d.help(format!("did you mean `{s}`?")),
                None if candidates.len() <= 12 => {
                    d = d.help(format!("the fields here are: {}", candidates.join(", ")));
                }
                None => {
                    d = d.help(format!(
                        "see the Kubernetes API reference of {parent} for its {} fields",
                        candidates.len()
                    ));
                }
            }
            d
        }
        Problem::NotAnObject { depth } => Diagnostic::new(
            codes::PATCH_UNKNOWN_FIELD,
            set.loc.file,
            set.loc.span,
            format!(
                "`{}` is a single value in a {kind}: it has no field `{}`",
                at(depth),
                path.get(depth).map_or("", String::as_str)
            ),
        )
        .label("no such field")
        .help(format!("set `{}` itself", at(depth))),
        Problem::NotAnIndex { depth } => Diagnostic::new(
            codes::PATCH_UNKNOWN_FIELD,
            set.loc.file,
            set.loc.span,
            format!(
                "`{}` is a list in a {kind}: `{}` is not an index",
                at(depth),
                path.get(depth).map_or("", String::as_str)
            ),
        )
        .label("not a list index")
        .help(format!(
            "address an element by its position, e.g. `{}.0`",
            at(depth)
        )),
        Problem::BadValue(msg) => Diagnostic::new(
            codes::PATCH_BAD_VALUE,
            set.loc.file,
            set.loc.span,
            format!("the value does not fit `{}`: {msg}", dotted(path)),
        )
        .label("wrong type for this field")
        .help("write the value with the type the Kubernetes API reference gives"),
    };
    Err(Box::new(d))
}

/// The likeliest intended field: a close spelling, else the one field that starts with
/// what was written (`priorityClass` → `priorityClassName`) or that it starts with.
fn suggestion<'c>(field: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if let Some(s) = suggest::did_you_mean(field, candidates.iter().copied()) {
        return Some(s);
    }
    let lower = field.to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let unique = |f: &dyn Fn(&str) -> bool| {
        let mut it = candidates
            .iter()
            .copied()
            .filter(|c| f(&c.to_ascii_lowercase()));
        match (it.next(), it.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    };
    unique(&|c| c.starts_with(&lower)).or_else(|| unique(&|c| lower.starts_with(c)))
}

/// Runs the probe through the typed object of `kind`. False if kiln has no type for it.
fn probe_kind(kind: &str, p: Probe) -> bool {
    use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2 as hpa, batch::v1 as batch};
    use k8s_openapi::api::{core::v1 as core, networking::v1 as net, policy::v1 as policy};
    // The results are ignored: what matters is what the probe recorded on the way.
    match kind {
        "Deployment" => drop(apps::Deployment::deserialize(p)),
        "StatefulSet" => drop(apps::StatefulSet::deserialize(p)),
        "DaemonSet" => drop(apps::DaemonSet::deserialize(p)),
        "Service" => drop(core::Service::deserialize(p)),
        "ConfigMap" => drop(core::ConfigMap::deserialize(p)),
        "PersistentVolumeClaim" => drop(core::PersistentVolumeClaim::deserialize(p)),
        "ServiceAccount" => drop(core::ServiceAccount::deserialize(p)),
        "Job" => drop(batch::Job::deserialize(p)),
        "CronJob" => drop(batch::CronJob::deserialize(p)),
        "HorizontalPodAutoscaler" => drop(hpa::HorizontalPodAutoscaler::deserialize(p)),
        "PodDisruptionBudget" => drop(policy::PodDisruptionBudget::deserialize(p)),
        "Ingress" => drop(net::Ingress::deserialize(p)),
        "NetworkPolicy" => drop(net::NetworkPolicy::deserialize(p)),
        _ => return false,
    }
    true
}

/// Sets `path` to `new` in `v`, creating objects on the way; `null` removes. A list
/// index may be one past the end, to append.
fn set_path(v: &mut Value, path: &[String], new: &Value) -> Result<(), String> {
    let Some((last, init)) = path.split_last() else {
        return Ok(());
    };
    let mut cur = v;
    for (i, seg) in init.iter().enumerate() {
        let next_is_index = path.get(i + 1).is_some_and(|s| s.parse::<usize>().is_ok());
        cur = match cur {
            Value::Object(m) => m.entry(seg.clone()).or_insert_with(|| {
                if next_is_index {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Default::default())
                }
            }),
            Value::Array(a) => {
                let len = a.len();
                let idx = index(seg, len, path, i)?;
                if idx == len {
                    a.push(Value::Object(Default::default()));
                }
                a.get_mut(idx).ok_or_else(|| past_end(path, i, len))?
            }
            _ => return Err(format!("`{}` is not an object", dotted(&path[..i]))),
        };
    }
    match cur {
        Value::Object(m) => {
            if new.is_null() {
                m.shift_remove(last);
            } else {
                m.insert(last.clone(), new.clone());
            }
        }
        Value::Array(a) => {
            let len = a.len();
            let idx = index(last, len, path, init.len())?;
            if new.is_null() {
                if idx < len {
                    a.remove(idx);
                }
            } else if idx == len {
                a.push(new.clone());
            } else if let Some(slot) = a.get_mut(idx) {
                *slot = new.clone();
            }
        }
        _ => return Err(format!("`{}` is not an object", dotted(init))),
    }
    Ok(())
}

fn index(seg: &str, len: usize, path: &[String], i: usize) -> Result<usize, String> {
    let idx: usize = seg.parse().map_err(|_| {
        format!(
            "`{}` is a list: `{seg}` is not an index",
            dotted(&path[..i])
        )
    })?;
    if idx > len {
        return Err(past_end(path, i, len));
    }
    Ok(idx)
}

fn past_end(path: &[String], i: usize, len: usize) -> String {
    format!(
        "index {} is past the end of `{}`, which has {len} element{}",
        path.get(i).map_or("", String::as_str),
        dotted(&path[..i]),
        if len == 1 { "" } else { "s" }
    )
}

/// What the probe found wrong.
#[derive(Debug)]
enum Problem {
    /// `path[depth]` is not one of the struct's fields.
    UnknownField {
        depth: usize,
        candidates: Vec<&'static str>,
    },
    /// `path[..depth]` is a scalar, yet the path goes on.
    NotAnObject { depth: usize },
    /// `path[..depth]` is a list and `path[depth]` is not a number.
    NotAnIndex { depth: usize },
    /// The value does not deserialize as the field's type.
    BadValue(String),
}

/// The probe's error type: the message only matters when it is the value's.
#[derive(Debug)]
struct ProbeError(String);

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ProbeError(msg.to_string())
    }
}

/// A deserializer that follows one path and then becomes the patch value.
#[derive(Clone, Copy)]
struct Probe<'a> {
    path: &'a [String],
    depth: usize,
    value: &'a Value,
    found: &'a RefCell<Option<Problem>>,
}

impl<'a> Probe<'a> {
    fn stop(&self, problem: Problem) -> ProbeError {
        let mut f = self.found.borrow_mut();
        if f.is_none() {
            *f = Some(problem);
        }
        ProbeError("stop".to_owned())
    }

    fn rest(&self) -> Probe<'a> {
        Probe {
            path: self.path.get(1..).unwrap_or(&[]),
            depth: self.depth + 1,
            ..*self
        }
    }

    fn leaf<T>(&self, r: Result<T, serde_json::Error>) -> Result<T, ProbeError> {
        r.map_err(|e| self.stop(Problem::BadValue(e.to_string())))
    }
}

/// Forwards a deserialize method to the patch value at the end of the path, and
/// reports a step into a scalar before it.
macro_rules! scalar {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
            if self.path.is_empty() {
                return self.leaf(self.value.$method(visitor));
            }
            Err(self.stop(Problem::NotAnObject { depth: self.depth }))
        }
    )*};
}

impl<'a> Deserializer<'a> for Probe<'a> {
    type Error = ProbeError;

    scalar!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_option(visitor));
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_unit_struct(name, visitor));
        }
        Err(self.stop(Problem::NotAnObject { depth: self.depth }))
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_newtype_struct(name, visitor));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_seq(visitor));
        }
        if self
            .path
            .first()
            .is_some_and(|s| s.parse::<usize>().is_ok())
        {
            visitor.visit_seq(One {
                probe: self,
                done: false,
            })
        } else {
            Err(self.stop(Problem::NotAnIndex { depth: self.depth }))
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_tuple(len, visitor));
        }
        Err(self.stop(Problem::NotAnObject { depth: self.depth }))
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_tuple_struct(name, len, visitor));
        }
        Err(self.stop(Problem::NotAnObject { depth: self.depth }))
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_map(visitor));
        }
        // A map with free keys (labels, annotations, nodeSelector): any key is fine.
        visitor.visit_map(One {
            probe: self,
            done: false,
        })
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_struct(name, fields, visitor));
        }
        let seg = self.path.first().map_or("", String::as_str);
        if !fields.contains(&seg) {
            return Err(self.stop(Problem::UnknownField {
                depth: self.depth,
                candidates: fields.to_vec(),
            }));
        }
        visitor.visit_map(One {
            probe: self,
            done: false,
        })
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.path.is_empty() {
            return self.leaf(self.value.deserialize_enum(name, variants, visitor));
        }
        Err(self.stop(Problem::NotAnObject { depth: self.depth }))
    }
}

/// A map with the one key of the path, or a list with the one element it indexes.
struct One<'a> {
    probe: Probe<'a>,
    done: bool,
}

impl<'a> MapAccess<'a> for One<'a> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        let key = self.probe.path.first().map_or("", String::as_str);
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, ProbeError> {
        seed.deserialize(self.probe.rest())
    }
}

impl<'a> SeqAccess<'a> for One<'a> {
    type Error = ProbeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ProbeError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        seed.deserialize(self.probe.rest()).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Loc;
    use serde_json::json;

    fn set(path: &str, value: Value) -> PatchSet {
        PatchSet {
            path: path.split('.').map(str::to_owned).collect(),
            value,
            loc: Loc::default(),
        }
    }

    fn problem(kind: &str, path: &str, value: Value) -> Option<String> {
        check(kind, &set(path, value)).err().map(|d| {
            format!(
                "{}: {}{}",
                d.code,
                d.message,
                d.help.map(|h| format!(" ({h})")).unwrap_or_default()
            )
        })
    }

    #[test]
    fn known_paths_pass() {
        assert_eq!(
            problem(
                "Deployment",
                "spec.template.spec.priorityClassName",
                json!("high")
            ),
            None
        );
        assert_eq!(
            problem("Deployment", "spec.minReadySeconds", json!(10)),
            None
        );
        assert_eq!(
            problem(
                "Deployment",
                "spec.template.spec.containers.0.image",
                json!("x:1")
            ),
            None
        );
        let neg = PatchSet {
            path: vec![
                "metadata".into(),
                "annotations".into(),
                "cloud.google.com/neg".into(),
            ],
            value: json!("x"),
            loc: Loc::default(),
        };
        assert!(check("Service", &neg).is_ok());
        assert_eq!(
            problem("Service", "spec.externalTrafficPolicy", json!(null)),
            None
        );
        assert_eq!(
            problem(
                "Deployment",
                "spec.template.spec.containers.0.args",
                json!(["a", "b"])
            ),
            None
        );
        assert_eq!(
            problem(
                "CronJob",
                "spec.jobTemplate.spec.template.spec.priorityClassName",
                json!("low")
            ),
            None
        );
    }

    #[test]
    fn unknown_field_suggests() {
        let p = problem(
            "Deployment",
            "spec.template.spec.priorityClass",
            json!("high"),
        );
        assert_eq!(
            p.as_deref(),
            Some(
                "K0402: `priorityClass` is not a field of `spec.template.spec` in a Deployment \
                 (did you mean `priorityClassName`?)"
            )
        );
        let p = problem("Deployment", "spec.replica", json!(1)).unwrap_or_default();
        assert!(p.contains("did you mean `replicas`?"), "{p}");
    }

    #[test]
    fn bad_values_and_shapes() {
        let p = problem("Deployment", "spec.minReadySeconds", json!("10")).unwrap_or_default();
        assert!(p.starts_with("K0403"), "{p}");
        let p = problem("Deployment", "spec.replicas.x", json!(1)).unwrap_or_default();
        assert!(p.contains("single value"), "{p}");
        let p = problem(
            "Deployment",
            "spec.template.spec.containers.image",
            json!("x"),
        )
        .unwrap_or_default();
        assert!(p.contains("is a list"), "{p}");
        let p = problem("Service", "metadata.namespace", json!("x")).unwrap_or_default();
        assert!(p.starts_with("K0405"), "{p}");
    }

    #[test]
    fn set_path_creates_appends_and_removes() {
        let mut v = json!({"spec": {"a": 1, "list": [{"x": 1}]}});
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        set_path(&mut v, &p("spec.b.c"), &json!(2)).unwrap();
        set_path(&mut v, &p("spec.list.0.y"), &json!(3)).unwrap();
        set_path(&mut v, &p("spec.list.1.x"), &json!(4)).unwrap();
        set_path(&mut v, &p("spec.tol.0.key"), &json!("k")).unwrap();
        set_path(&mut v, &p("spec.a"), &Value::Null).unwrap();
        assert_eq!(
            v,
            json!({"spec": {"list": [{"x": 1, "y": 3}, {"x": 4}], "b": {"c": 2}, "tol": [{"key": "k"}]}})
        );
        assert!(set_path(&mut v, &p("spec.list.5.x"), &json!(1)).is_err());
    }
}
