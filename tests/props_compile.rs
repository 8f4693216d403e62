//! Property tests of the whole compiler: generated valid programs (several apps with
//! services, workers, jobs and crons; env with plain values and references; extra
//! ports; health probes; cpu and memory ranges; autoscale; ingress) always check
//! without error and compile; the bundle passes kiln's own structural validation
//! ([`validate`]); compiling twice gives the same bytes; and no secret value is ever
//! part of the output (no Secret object with data, `secret(..)` stays a reference).

use kiln::{Options, Source};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

// ---- a generated program ----------------------------------------------------------------

#[derive(Debug, Clone)]
enum GEnv {
    Plain(String),
    Secret(String, String),
    ConfigMap(String, String),
}

#[derive(Debug, Clone)]
enum GHealth {
    Http(String),
    Tcp,
    Exec,
}

#[derive(Debug, Clone)]
struct GWork {
    service: bool,
    port: Option<u16>,
    extra_ports: Vec<(String, u16)>,
    replicas: Option<u32>,
    health: Option<GHealth>,
    cpu: Option<(u32, u32)>,
    memory: Option<(u32, u32)>,
    autoscale: Option<(u32, u32, u32)>,
    ingress: Option<(bool, Vec<String>)>,
    env: Vec<(String, GEnv)>,
    talks_to: bool,
}

#[derive(Debug, Clone)]
struct GJob {
    run: &'static str,
    after_previous: bool,
    timeout: Option<u32>,
}

#[derive(Debug, Clone)]
struct GApp {
    namespace: bool,
    env: Vec<(String, GEnv)>,
    env_from: Vec<(bool, String)>,
    works: Vec<GWork>,
    jobs: Vec<GJob>,
    crons: Vec<&'static str>,
}

fn env_value() -> impl Strategy<Value = GEnv> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._:/-]{0,24}".prop_map(GEnv::Plain),
        1 => ("[a-z][a-z0-9]{0,3}(-[a-z0-9]{1,3})?", "[a-z][a-z0-9_]{0,6}").prop_map(|(n, k)| GEnv::Secret(n, k)),
        1 => ("[a-z][a-z0-9]{0,3}(-[a-z0-9]{1,3})?", "[a-z][a-z0-9_]{0,6}").prop_map(|(n, k)| GEnv::ConfigMap(n, k)),
    ]
}

fn env() -> impl Strategy<Value = Vec<(String, GEnv)>> {
    prop::collection::btree_map("[A-Z][A-Z0-9_]{0,8}", env_value(), 0..5)
        .prop_map(|m| m.into_iter().collect())
}

fn work() -> impl Strategy<Value = GWork> {
    (
        any::<bool>(),
        1024u16..60000,
        prop::collection::btree_map("[a-z]{1,8}", 1024u16..60000, 0..3),
        prop::option::of(1u32..5),
        prop::option::of(prop_oneof![
            "/[a-z]{0,8}".prop_map(GHealth::Http),
            Just(GHealth::Tcp),
            Just(GHealth::Exec),
        ]),
        prop::option::of((1u32..500, 0u32..1500)),
        prop::option::of((64u32..512, 0u32..1024)),
        prop::option::of((1u32..4, 1u32..6, 10u32..=100)),
        prop::option::of((any::<bool>(), prop::collection::vec(0u8..4, 0..3))),
        env(),
        any::<bool>(),
    )
        .prop_map(
            |(
                service,
                port,
                extra,
                replicas,
                health,
                cpu,
                memory,
                autoscale,
                ingress,
                env,
                talks_to,
            )| {
                // Extra ports must not clash with the main one (by number or by name).
                let extra_ports = extra
                    .into_iter()
                    .filter(|(n, p)| *p != port && n != "http")
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect::<Vec<_>>();
                let mut seen = BTreeSet::from([port]);
                let extra_ports = extra_ports
                    .into_iter()
                    .filter(|(_, p)| seen.insert(*p))
                    .collect();
                GWork {
                    service,
                    port: service.then_some(port),
                    extra_ports,
                    // Autoscale decides the replicas.
                    replicas: if autoscale.is_some() { None } else { replicas },
                    // A worker has no port: only `exec` probes apply.
                    health: health.filter(|h| service || matches!(h, GHealth::Exec)),
                    cpu: cpu.map(|(a, b)| (a, a + b)),
                    memory: memory.map(|(a, b)| (a, a + b)),
                    autoscale: autoscale.map(|(min, extra, cpu)| (min, min + extra, cpu)),
                    ingress: if service {
                        ingress.map(|(tls, allow)| {
                            let ranges = [
                                "10.0.0.0/8",
                                "192.168.1.0/24",
                                "1.1.1.1/32",
                                "2001:db8::/32",
                            ];
                            (
                                tls,
                                allow
                                    .into_iter()
                                    .map(|i| ranges[usize::from(i)].to_string())
                                    .collect(),
                            )
                        })
                    } else {
                        None
                    },
                    env,
                    talks_to,
                }
            },
        )
}

fn job() -> impl Strategy<Value = GJob> {
    (
        prop::sample::select(vec![
            "before_deploy",
            "on_install",
            "after_deploy",
            "manual",
        ]),
        any::<bool>(),
        prop::option::of(1u32..120),
    )
        .prop_map(|(run, after_previous, timeout)| GJob {
            run,
            after_previous,
            timeout,
        })
}

const SCHEDULES: &[&str] = &[
    "0 3 * * *",
    "*/5 * * * *",
    "0 0 1 * *",
    "15 2 * * mon-fri",
    "@hourly",
    "@daily",
    "0 12 * jan,jul 0",
];

fn app_strategy() -> impl Strategy<Value = GApp> {
    (
        any::<bool>(),
        env(),
        prop::collection::vec((any::<bool>(), "[a-z][a-z0-9]{0,3}(-[a-z0-9]{1,3})?"), 0..3),
        prop::collection::vec(work(), 0..4),
        prop::collection::vec(job(), 0..4),
        prop::collection::vec(prop::sample::select(SCHEDULES), 0..3),
    )
        .prop_map(|(namespace, env, env_from, works, jobs, crons)| GApp {
            namespace,
            env,
            env_from,
            works,
            jobs,
            crons,
        })
}

fn program() -> impl Strategy<Value = Vec<GApp>> {
    prop::collection::vec(app_strategy(), 1..4)
}

fn env_text(out: &mut String, indent: &str, env: &[(String, GEnv)]) {
    if env.is_empty() {
        return;
    }
    out.push_str(&format!("{indent}env {{\n"));
    for (k, v) in env {
        let v = match v {
            GEnv::Plain(s) => format!("\"{s}\""),
            GEnv::Secret(n, k) => format!("secret(\"{n}\", \"{k}\")"),
            GEnv::ConfigMap(n, k) => format!("config_map(\"{n}\", \"{k}\")"),
        };
        out.push_str(&format!("{indent}  {k} = {v}\n"));
    }
    out.push_str(&format!("{indent}}}\n"));
}

/// The program as kiln text, and the ConfigMaps it declares as external (by name).
fn render(apps: &[GApp]) -> (String, BTreeSet<String>) {
    let mut out = String::new();
    let mut external = BTreeSet::new();
    for (ai, a) in apps.iter().enumerate() {
        let app = format!("app{ai}");
        out.push_str(&format!(
            "app {app} {{\n  image = \"registry.example.com/{app}:1.{ai}.0\"\n"
        ));
        if a.namespace {
            out.push_str(&format!("  namespace = \"ns-{app}\"\n"));
        }
        if !a.env_from.is_empty() {
            let items: Vec<String> = a
                .env_from
                .iter()
                .map(|(is_secret, n)| {
                    if *is_secret {
                        format!("secret(\"{n}\")")
                    } else {
                        external.insert(n.clone());
                        format!("config_map(\"{n}\")")
                    }
                })
                .collect();
            out.push_str(&format!("  env_from = [{}]\n", items.join(", ")));
        }
        for (_, v) in a.env.iter().chain(a.works.iter().flat_map(|w| &w.env)) {
            if let GEnv::ConfigMap(n, _) = v {
                external.insert(n.clone());
            }
        }
        env_text(&mut out, "  ", &a.env);
        let work_names: Vec<String> = (0..a.works.len()).map(|i| format!("w{i}")).collect();
        for (wi, w) in a.works.iter().enumerate() {
            let kind = if w.service { "service" } else { "worker" };
            out.push_str(&format!(
                "  {kind} w{wi} {{\n    command = [\"run\", \"w{wi}\"]\n"
            ));
            if let Some(p) = w.port {
                out.push_str(&format!("    port = {p}\n"));
            }
            if let Some(r) = w.replicas {
                out.push_str(&format!("    replicas = {r}\n"));
            }
            match &w.health {
                Some(GHealth::Http(p)) => out.push_str(&format!("    health = http(\"{p}\")\n")),
                Some(GHealth::Tcp) => out.push_str("    health = tcp()\n"),
                Some(GHealth::Exec) => out.push_str("    health = exec([\"true\"])\n"),
                None => {}
            }
            if let Some((a, b)) = w.cpu {
                out.push_str(&format!("    cpu = {a}m .. {b}m\n"));
            }
            if let Some((a, b)) = w.memory {
                out.push_str(&format!("    memory = {a}Mi .. {b}Mi\n"));
            }
            if w.talks_to && work_names.len() > 1 {
                let others: Vec<&str> = work_names
                    .iter()
                    .filter(|n| **n != format!("w{wi}"))
                    .map(String::as_str)
                    .collect();
                out.push_str(&format!("    talks_to = [{}]\n", others.join(", ")));
            }
            if !w.extra_ports.is_empty() {
                out.push_str("    ports {\n");
                for (n, p) in &w.extra_ports {
                    out.push_str(&format!("      {n} = {p}\n"));
                }
                out.push_str("    }\n");
            }
            if let Some((min, max, cpu)) = w.autoscale {
                out.push_str(&format!(
                    "    autoscale {{ min = {min}  max = {max}  cpu = {cpu}% }}\n"
                ));
            }
            if let Some((tls, allow)) = &w.ingress {
                out.push_str(&format!(
                    "    ingress {{\n      host = \"w{wi}.{app}.example.com\"\n"
                ));
                if *tls {
                    out.push_str(&format!("      tls = \"w{wi}-tls\"\n"));
                }
                if !allow.is_empty() {
                    let quoted: Vec<String> = allow.iter().map(|c| format!("\"{c}\"")).collect();
                    out.push_str(&format!("      allow = [{}]\n", quoted.join(", ")));
                }
                out.push_str("    }\n");
            }
            env_text(&mut out, "    ", &w.env);
            out.push_str("  }\n");
        }
        for (ji, j) in a.jobs.iter().enumerate() {
            out.push_str(&format!(
                "  job j{ji} {{\n    command = [\"task\", \"{ji}\"]\n    run = {}\n",
                j.run
            ));
            // `after` only to an earlier job of the same phase (never a manual one):
            // always a valid order.
            if j.after_previous && j.run != "manual" {
                let earlier: Vec<String> = a.jobs[..ji]
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.run == j.run)
                    .map(|(i, _)| format!("j{i}"))
                    .collect();
                if !earlier.is_empty() {
                    out.push_str(&format!("    after = [{}]\n", earlier.join(", ")));
                }
            }
            if let Some(t) = j.timeout {
                out.push_str(&format!("    timeout = {t}m\n"));
            }
            out.push_str("  }\n");
        }
        for (ci, s) in a.crons.iter().enumerate() {
            out.push_str(&format!(
                "  cron c{ci} {{\n    schedule = \"{s}\"\n    command = [\"cron\", \"{ci}\"]\n  }}\n"
            ));
        }
        out.push_str("}\n\n");
    }
    (out, external)
}

// ---- structural validation --------------------------------------------------------------

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, p| cur.get(p))
}

fn labels(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A pod template found in the bundle: where it is, its labels, its containers.
struct Pods<'a> {
    kind: &'a str,
    name: &'a str,
    namespace: &'a str,
    labels: BTreeMap<String, String>,
    spec: &'a Value,
}

fn pod_template(o: &Value) -> Option<&Value> {
    match str_at(o, &["kind"])? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => at(o, &["spec", "template"]),
        "CronJob" => at(o, &["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    ["containers", "initContainers"]
        .into_iter()
        .filter_map(|k| spec.get(k).and_then(Value::as_array))
        .flatten()
}

fn port_names(spec: &Value) -> BTreeSet<&str> {
    containers(spec)
        .filter_map(|c| c.get("ports").and_then(Value::as_array))
        .flatten()
        .filter_map(|p| str_at(p, &["name"]))
        .collect()
}

/// Checks what Kubernetes would only find out at apply time (or never): every problem
/// found, as text.
fn validate(objects: &[Value], external_config_maps: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let ns = |o: &Value| {
        str_at(o, &["metadata", "namespace"])
            .unwrap_or("")
            .to_string()
    };
    let mut names: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut pods: Vec<Pods> = Vec::new();
    for o in objects {
        let kind = str_at(o, &["kind"]).unwrap_or("");
        let name = str_at(o, &["metadata", "name"]).unwrap_or("");
        if str_at(o, &["apiVersion"]).is_none_or(str::is_empty)
            || kind.is_empty()
            || name.is_empty()
        {
            problems.push(format!("an object without apiVersion, kind or name: {o}"));
            continue;
        }
        if name.len() > 253 || (kind == "Service" && name.len() > 63) {
            problems.push(format!("{kind} `{name}`: name too long"));
        }
        if !names.insert((kind.to_string(), ns(o), name.to_string())) {
            problems.push(format!("{kind} `{name}` twice in one namespace"));
        }
        if kind == "Secret" && (o.get("data").is_some() || o.get("stringData").is_some()) {
            problems.push(format!(
                "Secret `{name}` carries data: kiln must never write a secret value"
            ));
        }
        if let Some(t) = pod_template(o) {
            pods.push(Pods {
                kind: str_at(o, &["kind"]).unwrap_or(""),
                name,
                namespace: str_at(o, &["metadata", "namespace"]).unwrap_or(""),
                labels: labels(at(t, &["metadata", "labels"])),
                spec: t.get("spec").unwrap_or(&Value::Null),
            });
        }
    }
    let exists =
        |kind: &str, ns: &str, name: &str| names.contains(&(kind.into(), ns.into(), name.into()));
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .filter(|o| str_at(o, &["kind"]) == Some("Namespace"))
        .filter_map(|o| str_at(o, &["metadata", "name"]))
        .collect();
    for o in objects {
        let kind = str_at(o, &["kind"]).unwrap_or("");
        let name = str_at(o, &["metadata", "name"]).unwrap_or("");
        let o_ns = ns(o);
        if !o_ns.is_empty() && !namespaces.contains(o_ns.as_str()) {
            problems.push(format!(
                "{kind} `{name}` in namespace `{o_ns}`, which the bundle does not create"
            ));
        }
        // Selector ⊆ template labels.
        if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
            let sel = labels(at(o, &["spec", "selector", "matchLabels"]));
            let tpl = labels(at(o, &["spec", "template", "metadata", "labels"]));
            if !matches(&sel, &tpl) {
                problems.push(format!(
                    "{kind} `{name}`: selector {sel:?} does not match its pod labels {tpl:?}"
                ));
            }
        }
        let workloads_selected = |sel: &BTreeMap<String, String>| -> Vec<&Pods> {
            pods.iter()
                .filter(|p| {
                    p.namespace == o_ns
                        && matches!(p.kind, "Deployment" | "StatefulSet" | "DaemonSet")
                        && matches(sel, &p.labels)
                })
                .collect()
        };
        match kind {
            "Service" => {
                let sel = labels(at(o, &["spec", "selector"]));
                let selected = workloads_selected(&sel);
                if selected.is_empty() {
                    problems.push(format!(
                        "Service `{name}`: selector {sel:?} selects no workload"
                    ));
                }
                for p in at(o, &["spec", "ports"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(target) = str_at(p, &["targetPort"]) {
                        for w in &selected {
                            if !port_names(w.spec).contains(target) {
                                problems.push(format!(
                                    "Service `{name}`: targetPort `{target}` is not a port of {} `{}`",
                                    w.kind, w.name
                                ));
                            }
                        }
                    }
                }
            }
            "PodDisruptionBudget" => {
                let sel = labels(at(o, &["spec", "selector", "matchLabels"]));
                if workloads_selected(&sel).is_empty() {
                    problems.push(format!("PodDisruptionBudget `{name}` selects no workload"));
                }
            }
            "HorizontalPodAutoscaler" => {
                let k = str_at(o, &["spec", "scaleTargetRef", "kind"]).unwrap_or("");
                let n = str_at(o, &["spec", "scaleTargetRef", "name"]).unwrap_or("");
                if !exists(k, &o_ns, n) {
                    problems.push(format!(
                        "HorizontalPodAutoscaler `{name}` targets {k} `{n}`, not in the bundle"
                    ));
                }
            }
            "Ingress" => {
                let paths = at(o, &["spec", "rules"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| at(r, &["http", "paths"]).and_then(Value::as_array))
                    .flatten();
                for p in paths {
                    let svc = str_at(p, &["backend", "service", "name"]).unwrap_or("");
                    if !exists("Service", &o_ns, svc) {
                        problems.push(format!(
                            "Ingress `{name}` routes to Service `{svc}`, not in the bundle"
                        ));
                        continue;
                    }
                    let service = objects.iter().find(|s| {
                        str_at(s, &["kind"]) == Some("Service")
                            && str_at(s, &["metadata", "name"]) == Some(svc)
                            && ns(s) == o_ns
                    });
                    let ports: Vec<&Value> = service
                        .and_then(|s| at(s, &["spec", "ports"]))
                        .and_then(Value::as_array)
                        .map(|a| a.iter().collect())
                        .unwrap_or_default();
                    let by_name = str_at(p, &["backend", "service", "port", "name"]);
                    let by_number = at(p, &["backend", "service", "port", "number"]);
                    let found = ports.iter().any(|sp| {
                        by_name.is_some_and(|n| str_at(sp, &["name"]) == Some(n))
                            || by_number.is_some_and(|n| sp.get("port") == Some(n))
                    });
                    if !found {
                        problems.push(format!(
                            "Ingress `{name}`: Service `{svc}` has no such port"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    // What pods refer to: ConfigMaps, ServiceAccounts.
    for p in &pods {
        let sa = str_at(p.spec, &["serviceAccountName"]);
        if let Some(sa) = sa
            && !exists("ServiceAccount", p.namespace, sa)
        {
            problems.push(format!(
                "{} `{}` runs as ServiceAccount `{sa}`, not in the bundle",
                p.kind, p.name
            ));
        }
        let mut config_maps: Vec<&str> = Vec::new();
        for c in containers(p.spec) {
            for e in c
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                config_maps.extend(str_at(e, &["configMapRef", "name"]));
            }
            for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                config_maps.extend(str_at(e, &["valueFrom", "configMapKeyRef", "name"]));
            }
        }
        for v in p
            .spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            config_maps.extend(str_at(v, &["configMap", "name"]));
        }
        for cm in config_maps {
            if !exists("ConfigMap", p.namespace, cm) && !external_config_maps.contains(cm) {
                problems.push(format!(
                    "{} `{}` uses ConfigMap `{cm}`: neither in the bundle nor declared external",
                    p.kind, p.name
                ));
            }
        }
    }
    problems
}

// ---- the properties ---------------------------------------------------------------------

fn compile(text: &str) -> Result<kiln::Bundle, String> {
    let source = Source::from_text("gen.kiln", text);
    kiln::compile(&source, &Options::default())
        .map_err(|d| kiln::diag::render::to_text(&d.0, &source.map, false))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 2000,
        // Failures print the program; no regression file is written into tests/.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_programs_compile_and_validate(apps in program()) {
        let (text, external) = render(&apps);
        let bundle = compile(&text).map_err(|e| TestCaseError::fail(format!("{e}\n--- program\n{text}")))?;
        prop_assert!(!bundle.warnings.has_errors());
        let values: Vec<Value> = bundle.objects.iter().map(|o| o.value.clone()).collect();
        let problems = validate(&values, &external);
        prop_assert!(problems.is_empty(), "{}\n--- program\n{text}", problems.join("\n"));
        let yaml = bundle.to_yaml();
        // Deterministic: the same text compiles to the same bytes.
        let again = compile(&text).map(|b| b.to_yaml());
        prop_assert!(again.as_ref() == Ok(&yaml), "compiling twice gave different output");
        // Secret references stay references: the secret's name and key appear, in a
        // `secretKeyRef` or `secretRef`, and nothing else of it.
        for a in apps.iter().filter(|a| !(a.works.is_empty() && a.jobs.is_empty() && a.crons.is_empty())) {
            for (_, v) in a.env.iter().chain(a.works.iter().flat_map(|w| &w.env)) {
                if let GEnv::Secret(n, _) = v {
                    let plain = format!("name: {n}");
                    let quoted = format!("name: \"{n}\"");
                    let referenced = yaml.contains(&plain) || yaml.contains(&quoted);
                    prop_assert!(referenced, "secret `{}` is not referenced", n);
                }
            }
        }
        prop_assert!(!values.iter().any(|o| str_at(o, &["kind"]) == Some("Secret")), "kiln wrote a Secret");
    }
}

// ---- secrets ----------------------------------------------------------------------------

/// Files that use `secret(..)` in wrong places: every diagnostic (text and JSON) names
/// the secret and its key at most, and says nothing else about it; there is no value to
/// print, and kiln must not invent one (no lookup, no placeholder).
#[test]
fn diagnostics_about_secrets_print_only_names() {
    let cases = [
        "app a {\n  image = \"registry.example.com/a:1.0\"\n  env { DB = secret(\"db\", \"url\")  BAD-NAME = secret(\"db\", \"url\") }\n  worker w { command = [\"x\"] }\n}\n",
        "app a {\n  image = secret(\"db\", \"url\")\n  worker w { command = [\"x\"] }\n}\n",
        "app a {\n  image = \"registry.example.com/a:1.0\"\n  worker w { command = [secret(\"db\", \"url\")]  replicas = secret(\"db\", \"url\") }\n}\n",
        "app a {\n  image = \"registry.example.com/a:1.0\"\n  env { DB = secret(\"db\") }\n  worker w { command = [\"x\"] }\n}\n",
        "app a {\n  image = \"registry.example.com/a:1.0\"\n  env { DB = secret(\"db\", \"url\", \"extra\") }\n  worker w { command = [\"x\"]  talks_to = [db] }\n}\n",
        "let s = secret(\"db\", \"url\")\napp a {\n  image = \"registry.example.com/a:1.0\"\n  env { DB = \"${s}\" }\n  worker w { command = [\"x\"] }\n}\n",
    ];
    for text in cases {
        let source = Source::from_text("s.kiln", text);
        let a = kiln::analyze(&source, &Options::default());
        assert!(a.diagnostics.has_errors(), "expected an error in:\n{text}");
        let mut out = kiln::diag::render::to_text(&a.diagnostics.0, &source.map, false);
        out.push_str(&kiln::diag::render::to_json_lines(
            &a.diagnostics.0,
            &source.map,
        ));
        // Messages, labels, help and notes (the source snippet is the user's own text).
        for d in a.diagnostics.iter() {
            let said = std::iter::once(d.message.as_str())
                .chain(std::iter::once(d.primary.message.as_str()))
                .chain(d.secondary.iter().map(|l| l.message.as_str()))
                .chain(d.help.as_deref())
                .chain(d.notes.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("\n");
            for word in ["password", "value of", "base64", "stringData"] {
                assert!(!said.contains(word), "{}: `{word}` in {said:?}", d.code);
            }
        }
    }
}

/// A valid app with secret references: the bundle refers to them by name and key, and
/// contains no Secret object at all.
#[test]
fn secrets_stay_references() {
    let text = "app a {\n  image = \"registry.example.com/a:1.0\"\n  env_from = [secret(\"all-env\")]\n  env { DB = secret(\"db-creds\", \"url\") }\n  service web {\n    port = 8080\n    health = http(\"/\")\n    env { TOKEN = secret(\"api\", \"token\") }\n  }\n}\n";
    let bundle = compile(text).unwrap_or_else(|e| panic!("{e}"));
    let yaml = bundle.to_yaml();
    assert!(yaml.contains("secretKeyRef"));
    assert!(yaml.contains("secretRef"));
    assert!(!bundle.objects.iter().any(|o| o.kind == "Secret"));
    assert!(!yaml.contains("stringData"));
}

/// A plain env value that looks like a credential is warned about (K0912), and the
/// value appears nowhere in what kiln prints: not in the message, not in the source
/// snippet (redacted), not in JSON.
#[test]
fn plain_secret_values_are_never_echoed() {
    let text = "app a {\n  image = \"registry.example.com/a:1.0\"\n  env {\n    DB_PASSWORD = \"canary-hunter2\"\n    URL = \"redis://:canary-pw@cache:6379/0\"\n  }\n  worker w { command = [\"x\"] }\n}\nprofile p {\n  a.env.API_TOKEN = \"canary-token\"\n}\n";
    let source = Source::from_text("s.kiln", text);
    let a = kiln::analyze(&source, &Options::default());
    let warned = a
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "K0912")
        .count();
    assert_eq!(warned, 3, "{:?}", a.diagnostics);
    for color in [false, true] {
        let out = kiln::diag::render::to_text(&a.diagnostics.0, &source.map, color);
        assert!(!out.contains("canary"), "{out}");
    }
    let json = kiln::diag::render::to_json_lines(&a.diagnostics.0, &source.map);
    assert!(!json.contains("canary"), "{json}");
}
