//! Normalization: what both sides go through before they are compared, so that only
//! real changes remain. Each rule is listed with its reason in `docs/diff.md`; keep the
//! two in step.
//!
//! The order matters: bookkeeping is dropped first (the last-applied annotation is
//! read before it goes), then a server-shaped before side is projected onto the fields
//! the desired object (and the last applied configuration) has, then values equal in
//! meaning are made equal in text, then secrets are masked, then keys are sorted.
//!
//! Recursion follows the nesting of values; every value here comes from a parser with a
//! depth limit (serde_yaml and serde_json: 128) or from the compiler, so it is bounded.

use serde_json::{Map, Value};

/// The annotation `kubectl apply` records the applied manifest in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Metadata the API server maintains; never part of what anyone applies.
pub(crate) const BOOKKEEPING: [&str; 8] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Annotations written by controllers or kubectl, not by the author of the manifest.
pub(crate) const CONTROLLER_ANNOTATIONS: [&str; 6] = [
    LAST_APPLIED,
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "control-plane.alpha.kubernetes.io/leader",
    "endpoints.kubernetes.io/last-change-trigger-time",
];

/// Annotation prefixes owned by controllers (volume binding, autoscaler status).
const CONTROLLER_ANNOTATION_PREFIXES: [&str; 4] = [
    "pv.kubernetes.io/",
    "volume.kubernetes.io/",
    "volume.beta.kubernetes.io/",
    "autoscaling.alpha.kubernetes.io/",
];

/// Lists whose order has no meaning to Kubernetes, so a reordering is not a change.
/// `env` is one only when no value refers to another variable with `$(NAME)` (then
/// order decides what the reference sees); `initContainers` and `envFrom` never are
/// (init containers run in order, later `envFrom` sources win).
const UNORDERED_LISTS: [&str; 8] = [
    "containers",
    "ephemeralContainers",
    "volumes",
    "volumeMounts",
    "volumeDevices",
    "ports",
    "imagePullSecrets",
    "hostAliases",
];

/// Map keys whose values are Kubernetes quantities (`resources.limits.cpu`, a
/// ResourceQuota's `hard`, a LimitRange's `default`, ...).
const QUANTITY_PARENTS: [&str; 10] = [
    "limits",
    "requests",
    "hard",
    "capacity",
    "default",
    "defaultRequest",
    "max",
    "min",
    "maxLimitRequestRatio",
    "overhead",
];

/// Fields that are quantities themselves.
const QUANTITY_FIELDS: [&str; 3] = ["sizeLimit", "averageValue", "storage"];

/// `int-or-string` fields where a number written as a string means the number.
const INT_OR_STRING: [&str; 6] = [
    "port",
    "targetPort",
    "containerPort",
    "maxSurge",
    "maxUnavailable",
    "minAvailable",
];

/// The masks a secret value is replaced with, as `kubectl diff` writes them.
pub const MASK: &str = "***";
/// The mask of a secret value that differs, on the before side.
pub const MASK_BEFORE: &str = "*** (before)";
/// The mask of a secret value that differs, on the after side.
pub const MASK_AFTER: &str = "*** (after)";

/// Normalizes a pair (either side may be missing) for comparison. Secrets are masked on
/// both sides whatever happens, so the result is safe to print.
pub fn pair(before: Option<&Value>, after: Option<&Value>) -> (Option<Value>, Option<Value>) {
    let mut b = before.cloned();
    let mut a = after.cloned();
    let server = b.as_ref().is_some_and(server_shaped);
    // Read before `clean` drops managedFields: what server-side apply applied.
    let applied = b.as_ref().and_then(server_side_applied);
    let last_applied = b.as_mut().and_then(clean);
    if let Some(a) = a.as_mut() {
        clean(a);
    }
    // Before projection: the desired `stringData` must select the live `data`.
    for v in [b.as_mut(), a.as_mut()].into_iter().flatten() {
        merge_string_data(v);
    }
    if let (Some(bv), Some(av)) = (b.as_mut(), a.as_ref())
        && server
    {
        let mut mask = match last_applied {
            Some(mut la) => {
                clean(&mut la);
                merge_string_data(&mut la);
                union(av, &la, "")
            }
            None => av.clone(),
        };
        if let Some(ssa) = applied {
            mask = union(&mask, &ssa, "");
        }
        *bv = project(bv, &mask, "");
    }
    if let (Some(bv), Some(av)) = (b.as_mut(), a.as_ref()) {
        reconcile(bv, av, "", "");
    }
    let kind = kind_of(b.as_ref(), a.as_ref());
    mask_pair(b.as_mut(), a.as_mut(), "", &kind);
    for v in [b.as_mut(), a.as_mut()].into_iter().flatten() {
        sort_keys(v, true);
    }
    (b, a)
}

fn kind_of(b: Option<&Value>, a: Option<&Value>) -> String {
    a.or(b)
        .and_then(|v| v.get("kind"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Whether an object was read from an API server (`kubectl get -o yaml`, `--live`): its
/// metadata has what only a server sets. Only such objects are projected: a plain
/// manifest has no server defaults, and projecting it would hide removed fields.
pub fn server_shaped(v: &Value) -> bool {
    let Some(m) = v.get("metadata").and_then(Value::as_object) else {
        return false;
    };
    ["uid", "resourceVersion", "managedFields", "generation"]
        .iter()
        .any(|k| m.contains_key(*k))
        || m.get("creationTimestamp").is_some_and(|t| !t.is_null())
}

/// The fields server-side apply recorded as applied (`managedFields` entries with
/// `operation: Apply`, any manager), as a mask: the server-side counterpart of the
/// last-applied annotation, so a field removed from the source still shows as removed.
/// `fieldsV1` names fields `f:name`, keyed list items `k:{"name":"web"}`, set values
/// `v:...` and indexes `i:N`; leaves are `null` in the mask (keep the whole value).
fn server_side_applied(v: &Value) -> Option<Value> {
    let entries = v.get("metadata")?.get("managedFields")?.as_array()?;
    let mut mask: Option<Value> = None;
    for e in entries {
        if e.get("operation").and_then(Value::as_str) != Some("Apply") {
            continue;
        }
        let Some(fields) = e.get("fieldsV1") else {
            continue;
        };
        let m = fields_to_mask(fields);
        mask = Some(match mask {
            Some(prev) => union(&prev, &m, ""),
            None => m,
        });
    }
    mask
}

/// One `fieldsV1` node as a mask value.
fn fields_to_mask(node: &Value) -> Value {
    let Some(m) = node.as_object() else {
        return Value::Null;
    };
    let mut obj = Map::new();
    let mut items: Vec<Value> = Vec::new();
    for (k, child) in m {
        if let Some(name) = k.strip_prefix("f:") {
            obj.insert(name.to_owned(), fields_to_mask(child));
        } else if let Some(key) = k.strip_prefix("k:") {
            // The item's key fields, plus what was applied inside it.
            let mut item = match serde_json::from_str::<Value>(key) {
                Ok(Value::Object(km)) => km,
                _ => continue,
            };
            if let Value::Object(inner) = fields_to_mask(child) {
                for (ik, iv) in inner {
                    item.entry(ik).or_insert(iv);
                }
            }
            items.push(Value::Object(item));
        }
        // `.` (the node itself), `v:` (set members) and `i:` (indexes) add no field.
    }
    if !items.is_empty() {
        return Value::Array(items);
    }
    if obj.is_empty() {
        Value::Null
    } else {
        Value::Object(obj)
    }
}

/// Drops status and bookkeeping; returns the parsed last-applied configuration, if any.
fn clean(v: &mut Value) -> Option<Value> {
    let obj = v.as_object_mut()?;
    obj.remove("status");
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut last_applied = None;
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in BOOKKEEPING {
            meta.remove(k);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            last_applied = ann
                .get(LAST_APPLIED)
                .and_then(Value::as_str)
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .filter(Value::is_object);
            ann.retain(|k, _| {
                !CONTROLLER_ANNOTATIONS.contains(&k.as_str())
                    && !CONTROLLER_ANNOTATION_PREFIXES
                        .iter()
                        .any(|p| k.starts_with(p))
            });
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
        // The server labels every Namespace with its own name.
        if kind == "Namespace" {
            let name = meta.get("name").cloned();
            if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                if labels.get("kubernetes.io/metadata.name") == name.as_ref() {
                    labels.remove("kubernetes.io/metadata.name");
                }
                if labels.is_empty() {
                    meta.remove("labels");
                }
            }
        }
    }
    drop_null_timestamps(v);
    last_applied
}

/// `creationTimestamp: null` inside pod templates (written by `kubectl create
/// --dry-run` and older servers) says nothing.
fn drop_null_timestamps(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut)
                && meta.get("creationTimestamp").is_some_and(Value::is_null)
            {
                meta.remove("creationTimestamp");
            }
            for (_, child) in m.iter_mut() {
                drop_null_timestamps(child);
            }
        }
        Value::Array(l) => l.iter_mut().for_each(drop_null_timestamps),
        _ => {}
    }
}

/// The key of a list item, when the list is keyed: what Kubernetes merges the list by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    /// The field the key comes from (`name`, `containerPort`, `mountPath`).
    pub field: &'static str,
    /// Its value (ports carry their protocol: `3000/TCP`).
    pub value: String,
}

impl ItemKey {
    /// `name=web`, `containerPort=3000` (the protocol only when not TCP).
    pub fn label(&self) -> String {
        let v = self.value.strip_suffix("/TCP").unwrap_or(&self.value);
        format!("{}={v}", self.field)
    }
}

/// The key of an item of the list `field`.
pub fn item_key(field: &str, v: &Value) -> Option<ItemKey> {
    let m = v.as_object()?;
    let scalar = |k: &str| -> Option<String> {
        match m.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let with_protocol = |port: String| {
        let proto = m.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        format!("{port}/{proto}")
    };
    let (f, value): (&'static str, String) = if let Some(p) = scalar("containerPort") {
        ("containerPort", with_protocol(p))
    } else if field == "ports" {
        ("port", with_protocol(scalar("port")?))
    } else if field == "volumeMounts" {
        ("mountPath", scalar("mountPath")?)
    } else if field == "volumeDevices" {
        ("devicePath", scalar("devicePath")?)
    } else if field == "hostAliases" {
        ("ip", scalar("ip")?)
    } else {
        ("name", scalar("name")?)
    };
    Some(ItemKey { field: f, value })
}

/// Whether two lists of the same field can be matched by key: every item on both sides
/// has one, and no key repeats on a side.
pub fn list_keys(field: &str, b: &[Value], a: &[Value]) -> Option<()> {
    for list in [b, a] {
        let mut seen = std::collections::HashSet::new();
        for v in list {
            let k = item_key(field, v)?;
            if !seen.insert(k.value) {
                return None;
            }
        }
    }
    Some(())
}

/// Pairs the items of two lists: by key when keyed, by index otherwise. Pairs follow
/// the after side's order; before-only items come last.
pub fn match_items(field: &str, b: &[Value], a: &[Value]) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    if list_keys(field, b, a).is_some() {
        // Keys are unique on each side (list_keys checked), so a map finds the partner.
        let bkeys: std::collections::HashMap<String, usize> = b
            .iter()
            .enumerate()
            .filter_map(|(i, v)| item_key(field, v).map(|k| (k.value, i)))
            .collect();
        let mut used = vec![false; b.len()];
        for (ai, av) in a.iter().enumerate() {
            let bi = item_key(field, av).and_then(|k| bkeys.get(&k.value).copied());
            if let Some(bi) = bi
                && let Some(u) = used.get_mut(bi)
            {
                *u = true;
            }
            out.push((bi, Some(ai)));
        }
        for (bi, u) in used.iter().enumerate() {
            if !u {
                out.push((Some(bi), None));
            }
        }
    } else {
        for i in 0..a.len().max(b.len()) {
            out.push(((i < b.len()).then_some(i), (i < a.len()).then_some(i)));
        }
    }
    out
}

/// The union of two masks: every field either has.
fn union(a: &Value, b: &Value, field: &str) -> Value {
    match (a, b) {
        (Value::Object(am), Value::Object(bm)) => {
            let mut out = am.clone();
            for (k, bv) in bm {
                let merged = match am.get(k) {
                    Some(av) => union(av, bv, k),
                    None => bv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(al), Value::Array(bl)) => {
            let mut out = Vec::with_capacity(al.len().max(bl.len()));
            // match_items(field, before = a, after = b) pairs a's items with b's.
            for (ai, bi) in match_items(field, al, bl) {
                match (ai.and_then(|i| al.get(i)), bi.and_then(|i| bl.get(i))) {
                    (Some(x), Some(y)) => out.push(union(x, y, "")),
                    (Some(x), None) | (None, Some(x)) => out.push(x.clone()),
                    (None, None) => {}
                }
            }
            Value::Array(out)
        }
        // `null` (a server-side-apply leaf) is the least specific mask.
        (Value::Null, b) => b.clone(),
        _ => a.clone(),
    }
}

/// The live object restricted to the fields the mask has: what the server added on its
/// own (defaults, other controllers' fields) disappears; what the mask has and the live
/// object lacks stays absent, so it shows as a change. List items the mask does not
/// have are kept whole: an extra container is a real difference.
fn project(live: &Value, mask: &Value, field: &str) -> Value {
    match (live, mask) {
        (Value::Object(l), Value::Object(m)) => Value::Object(
            l.iter()
                .filter_map(|(k, v)| m.get(k).map(|mv| (k.clone(), project(v, mv, k))))
                .collect(),
        ),
        (Value::Array(l), Value::Array(m)) => {
            let mut out: Vec<Option<Value>> = l.iter().map(|v| Some(v.clone())).collect();
            for (li, mi) in match_items(field, l, m) {
                if let (Some(li), Some(mi)) = (li, mi)
                    && let (Some(lv), Some(mv), Some(slot)) =
                        (l.get(li), m.get(mi), out.get_mut(li))
                {
                    *slot = Some(project(lv, mv, ""));
                }
            }
            Value::Array(out.into_iter().flatten().collect())
        }
        _ => live.clone(),
    }
}

/// A Secret's `stringData` is write-only: the server merges it into `data` (base64), so
/// compare the two in `data` form.
fn merge_string_data(v: &mut Value) {
    use base64::Engine;
    if v.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    let Some(Value::Object(sd)) = obj.remove("stringData") else {
        return;
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(dm) = data.as_object_mut() {
        for (k, s) in sd {
            let text = match s {
                Value::String(s) => s,
                other => other.to_string(),
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            dm.insert(k, Value::String(encoded));
        }
    }
}

/// Makes values equal in meaning equal in text (the before side takes the after side's
/// spelling), and puts unordered keyed lists of the before side in the after side's
/// order.
fn reconcile(b: &mut Value, a: &Value, field: &str, parent: &str) {
    match (b, a) {
        (Value::Object(bm), Value::Object(am)) => {
            for (k, bv) in bm.iter_mut() {
                if let Some(av) = am.get(k) {
                    reconcile(bv, av, k, field);
                }
            }
        }
        (Value::Array(bl), Value::Array(al)) => {
            let pairs = match_items(field, bl, al);
            if unordered(field, bl, al) && list_keys(field, bl, al).is_some() {
                let old = std::mem::take(bl);
                let mut slots: Vec<Option<Value>> = old.into_iter().map(Some).collect();
                for (bi, _) in &pairs {
                    if let Some(v) = bi.and_then(|i| slots.get_mut(i)).and_then(Option::take) {
                        bl.push(v);
                    }
                }
                // Now bl follows the pair order; pair i is at index i when matched.
                let mut i = 0;
                for (bi, ai) in pairs {
                    if bi.is_some() {
                        if let (Some(ai), Some(bv)) = (ai, bl.get_mut(i))
                            && let Some(av) = al.get(ai)
                        {
                            reconcile(bv, av, "", field);
                        }
                        i += 1;
                    }
                }
            } else {
                for (bi, ai) in pairs {
                    if let (Some(bi), Some(ai)) = (bi, ai)
                        && let (Some(bv), Some(av)) = (bl.get_mut(bi), al.get(ai))
                    {
                        reconcile(bv, av, "", field);
                    }
                }
            }
        }
        (b, a) => {
            if *b != *a && equivalent(b, a, field, parent) {
                *b = a.clone();
            }
        }
    }
}

/// Whether the list `field` is a set to Kubernetes (its order means nothing).
pub fn unordered(field: &str, b: &[Value], a: &[Value]) -> bool {
    if UNORDERED_LISTS.contains(&field) {
        return true;
    }
    // `$(NAME)` in an env value sees only variables defined before it.
    field == "env"
        && !b.iter().chain(a).any(|v| {
            v.get("value")
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("$("))
        })
}

/// Whether two scalars mean the same at this place.
fn equivalent(b: &Value, a: &Value, field: &str, parent: &str) -> bool {
    if let (Value::Number(x), Value::Number(y)) = (b, a)
        && x.as_f64() == y.as_f64()
    {
        return true;
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let (Some(bt), Some(at)) = (text(b), text(a)) else {
        return false;
    };
    let quantity = QUANTITY_PARENTS.contains(&parent)
        || QUANTITY_FIELDS.contains(&field)
        || (parent == "target" && field == "value");
    if quantity {
        return match (Quantity::parse(&bt), Quantity::parse(&at)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        };
    }
    if INT_OR_STRING.contains(&field) {
        return match (bt.parse::<i64>(), at.parse::<i64>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        };
    }
    false
}

/// A Kubernetes quantity's exact value: `sign · mantissa · 10^exponent`, with no
/// trailing zero in the mantissa, so equal values have equal representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    mantissa: u128,
    exponent: i32,
}

impl Quantity {
    /// Parses `250m`, `1`, `0.5`, `1Gi`, `1024Mi`, `1e3`, `+2k`; None when it is not a
    /// quantity or too large to compare exactly.
    pub fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, s.get(1..)?),
            b'+' => (false, s.get(1..)?),
            _ => (false, s),
        };
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (num, suffix) = s.split_at(num_end);
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut mantissa: u128 = 0;
        for c in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(u128::from(c.checked_sub(b'0')?))?;
        }
        let mut exponent = -i32::try_from(frac.len()).ok()?;
        let binary = |p: u32| -> Option<u128> { 1u128.checked_shl(p) };
        match suffix {
            "" => {}
            "n" => exponent -= 9,
            "u" => exponent -= 6,
            "m" => exponent -= 3,
            "k" => exponent += 3,
            "M" => exponent += 6,
            "G" => exponent += 9,
            "T" => exponent += 12,
            "P" => exponent += 15,
            "E" => exponent += 18,
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let p = match suffix {
                    "Ki" => 10,
                    "Mi" => 20,
                    "Gi" => 30,
                    "Ti" => 40,
                    "Pi" => 50,
                    _ => 60,
                };
                mantissa = mantissa.checked_mul(binary(p)?)?;
            }
            e if e.starts_with(['e', 'E']) => {
                let n: i32 = e.get(1..)?.parse().ok()?;
                if n.abs() > 1000 {
                    return None;
                }
                exponent += n;
            }
            _ => return None,
        }
        if mantissa == 0 {
            return Some(Quantity {
                negative: false,
                mantissa: 0,
                exponent: 0,
            });
        }
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent += 1;
        }
        Some(Quantity {
            negative,
            mantissa,
            exponent,
        })
    }
}

/// Whether an env var or config key name looks like it holds a credential: the same
/// words the checker's plain-secret warning (K0912) uses, so what the diff masks and what
/// the checker warns about agree.
pub fn credential_name(name: &str) -> bool {
    crate::check::secrets::credential_name(name)
}

/// The masks for a secret value on each side: equal values both become `***`, different
/// ones `*** (before)` and `*** (after)`.
fn masks(b: Option<&Value>, a: Option<&Value>) -> (&'static str, &'static str) {
    match (b, a) {
        (Some(x), Some(y)) if x != y => (MASK_BEFORE, MASK_AFTER),
        _ => (MASK, MASK),
    }
}

/// Masks secret values on both sides, pairwise so that "changed" stays visible: a
/// Secret's `data`/`stringData`, a ConfigMap entry or env var whose name looks like a
/// credential, and the password of any `scheme://user:password@host` URL.
fn mask_pair(b: Option<&mut Value>, a: Option<&mut Value>, field: &str, kind: &str) {
    match (b, a) {
        (Some(Value::Object(bm)), Some(Value::Object(am))) => {
            mask_object_fields(Some(bm), Some(am), field, kind);
        }
        (Some(Value::Object(bm)), None) => mask_object_fields(Some(bm), None, field, kind),
        (None, Some(Value::Object(am))) => mask_object_fields(None, Some(am), field, kind),
        (Some(Value::Array(bl)), Some(Value::Array(al))) => {
            for (bi, ai) in match_items(field, bl, al) {
                let bv = bi.and_then(|i| bl.get_mut(i));
                let av = ai.and_then(|i| al.get_mut(i));
                mask_pair(bv, av, "", kind);
            }
        }
        (Some(Value::Array(l)), None) | (None, Some(Value::Array(l))) => {
            for v in l {
                mask_pair(Some(v), None, "", kind);
            }
        }
        (b, a) => mask_url_pair(b, a),
    }
}

/// The object part of [`mask_pair`]. `field` is the key this object is under.
fn mask_object_fields(
    mut b: Option<&mut Map<String, Value>>,
    mut a: Option<&mut Map<String, Value>>,
    field: &str,
    kind: &str,
) {
    // An env var: `{name, value}` under `env`.
    let is_env_item = |m: &Map<String, Value>| m.contains_key("name") && m.contains_key("value");
    let env_name = b
        .as_deref()
        .or(a.as_deref())
        .filter(|m| is_env_item(m))
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(name) = env_name
        && credential_name(&name)
    {
        mask_entry(b.as_deref_mut(), a.as_deref_mut(), "value");
    }
    let keys = union_keys(b.as_deref(), a.as_deref());
    let top = field.is_empty();
    for k in keys {
        let secret_map = top && kind == "Secret" && (k == "data" || k == "stringData");
        let config_map = top && kind == "ConfigMap" && (k == "data" || k == "binaryData");
        if secret_map || config_map {
            let bm = b
                .as_deref_mut()
                .and_then(|m| m.get_mut(&k))
                .and_then(Value::as_object_mut);
            let am = a
                .as_deref_mut()
                .and_then(|m| m.get_mut(&k))
                .and_then(Value::as_object_mut);
            mask_map_entries(bm, am, secret_map);
            // A non-map `data` is malformed; mask it whole rather than print it.
            for m in [b.as_deref_mut(), a.as_deref_mut()].into_iter().flatten() {
                if let Some(v) = m.get_mut(&k)
                    && !v.is_object()
                    && secret_map
                {
                    *v = Value::from(MASK);
                }
            }
            continue;
        }
        let bv = b.as_deref_mut().and_then(|m| m.get_mut(&k));
        let av = a.as_deref_mut().and_then(|m| m.get_mut(&k));
        mask_pair(bv, av, &k, kind);
    }
}

/// The keys of two maps, each once, in order of appearance.
fn union_keys(b: Option<&Map<String, Value>>, a: Option<&Map<String, Value>>) -> Vec<String> {
    let mut keys: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    for m in [b, a].into_iter().flatten() {
        keys.extend(m.keys().cloned());
    }
    keys.into_iter().collect()
}

/// Masks one entry of two maps with the pairwise masks.
fn mask_entry(b: Option<&mut Map<String, Value>>, a: Option<&mut Map<String, Value>>, key: &str) {
    let (mb, ma) = masks(
        b.as_deref().and_then(|m| m.get(key)),
        a.as_deref().and_then(|m| m.get(key)),
    );
    if let Some(v) = b.and_then(|m| m.get_mut(key)) {
        *v = Value::from(mb);
    }
    if let Some(v) = a.and_then(|m| m.get_mut(key)) {
        *v = Value::from(ma);
    }
}

/// A Secret's data (every entry) or a ConfigMap's (credential-looking keys, and URL
/// passwords in the others).
fn mask_map_entries(
    mut b: Option<&mut Map<String, Value>>,
    mut a: Option<&mut Map<String, Value>>,
    all: bool,
) {
    let keys = union_keys(b.as_deref(), a.as_deref());
    for k in keys {
        if all || credential_name(&k) {
            mask_entry(b.as_deref_mut(), a.as_deref_mut(), &k);
        } else {
            let bv = b.as_deref_mut().and_then(|m| m.get_mut(&k));
            let av = a.as_deref_mut().and_then(|m| m.get_mut(&k));
            mask_url_pair(bv, av);
        }
    }
}

/// The byte range of the password in `scheme://user:password@host...`, if any.
fn url_password(s: &str) -> Option<std::ops::Range<usize>> {
    let start = s.find("://")? + 3;
    let rest = s.get(start..)?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end)?;
    let at = authority.rfind('@')?;
    let colon = authority.get(..at)?.find(':')?;
    (colon + 1 < at).then(|| start + colon + 1..start + at)
}

/// Masks URL passwords in two scalars, pairwise.
fn mask_url_pair(b: Option<&mut Value>, a: Option<&mut Value>) {
    let pw = |v: &Option<&mut Value>| -> Option<String> {
        let s = v.as_deref()?.as_str()?;
        url_password(s).and_then(|r| s.get(r)).map(str::to_owned)
    };
    let (bp, ap) = (pw(&b), pw(&a));
    if bp.is_none() && ap.is_none() {
        return;
    }
    let (mb, ma) = match (&bp, &ap) {
        (Some(x), Some(y)) if x != y => (MASK_BEFORE, MASK_AFTER),
        _ => (MASK, MASK),
    };
    for (v, m) in [(b, mb), (a, ma)] {
        if let Some(v) = v
            && let Some(s) = v.as_str()
            && let Some(r) = url_password(s)
        {
            let mut out = s.to_owned();
            out.replace_range(r, m);
            *v = Value::String(out);
        }
    }
}

/// Sorts keys: at the top `apiVersion`, `kind`, `metadata` first (as kiln writes
/// them), everything else alphabetically, so key order is never a difference.
fn sort_keys(v: &mut Value, top: bool) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            let rank = |k: &str| match (top, k) {
                (true, "apiVersion") => 0,
                (true, "kind") => 1,
                (true, "metadata") => 2,
                _ => 3,
            };
            entries.sort_by(|(x, _), (y, _)| rank(x).cmp(&rank(y)).then_with(|| x.cmp(y)));
            for (k, mut child) in entries {
                sort_keys(&mut child, false);
                m.insert(k, child);
            }
        }
        Value::Array(l) => l.iter_mut().for_each(|c| sort_keys(c, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_compare_by_value() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("0.5"), q("500m"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("0"), q("0m"));
        assert_ne!(q("1"), q("1001m"));
        assert_ne!(q("1G"), q("1Gi"));
        assert!(Quantity::parse("abc").is_none());
        assert!(Quantity::parse("1Xi").is_none());
        assert!(Quantity::parse("").is_none());
        assert!(Quantity::parse("99999999999999999999999999999999999999999Ei").is_none());
    }

    #[test]
    fn url_passwords_are_found() {
        let s = "postgres://user:hunter2@db:5432/app";
        assert_eq!(url_password(s).and_then(|r| s.get(r)), Some("hunter2"));
        assert_eq!(url_password("redis://redis:6379/"), None);
        assert_eq!(url_password("https://user@host/"), None);
        assert_eq!(url_password("not a url"), None);
    }

    #[test]
    fn credential_names() {
        for n in [
            "DB_PASSWORD",
            "api_key",
            "SECRET_KEY_BASE",
            "GITHUB_TOKEN",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(credential_name(n), "{n}");
        }
        for n in ["RAILS_ENV", "PORT", "KEYCLOAK_URL"] {
            assert!(!credential_name(n), "{n}");
        }
    }

    #[test]
    fn secret_values_are_masked_pairwise() {
        let s = |d: Value| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": d});
        let (b, a) = pair(
            Some(&s(json!({"same": "YQ==", "diff": "Yg==", "gone": "Yw=="}))),
            Some(&s(json!({"same": "YQ==", "diff": "ZA==", "new": "ZQ=="}))),
        );
        let (b, a) = (b.unwrap(), a.unwrap());
        assert_eq!(
            b["data"],
            json!({"diff": MASK_BEFORE, "gone": MASK, "same": MASK})
        );
        assert_eq!(
            a["data"],
            json!({"diff": MASK_AFTER, "new": MASK, "same": MASK})
        );
    }
}
