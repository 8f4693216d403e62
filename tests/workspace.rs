//! The multi-app workspace `examples/shop/` (three Rails apps sharing `std/rails` and
//! `./shared.kiln`, with `staging` and `production` profiles):
//!
//! - compiled as a directory for each profile, it matches `examples/shop/staging.yaml`
//!   and `examples/shop/production.yaml` byte for byte (bless with
//!   `KILN_BLESS=1 cargo test --test workspace`, then read the diff);
//! - a profile that changes only `replicas` changes only `spec.replicas` of the
//!   Deployments it names, object by object (tests/validate.rs validates both profiles'
//!   output with kubernetes-validate and checkov).

use serde_json::Value;
use std::path::{Path, PathBuf};

fn shop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop")
}

/// The profiles compiled to golden files.
const PROFILES: [&str; 2] = ["staging", "production"];

fn compile_dir(dir: &Path, profile: Option<&str>) -> Result<kiln::Bundle, String> {
    let options = kiln::Options {
        profile: profile.map(str::to_string),
        ..kiln::Options::default()
    };
    let source = kiln::Source::from_dir(dir).map_err(|e| format!("cannot read: {e}"))?;
    kiln::compile(&source, &options).map_err(|d| {
        format!(
            "{} ({profile:?}) does not compile:\n{}",
            dir.display(),
            kiln::diag::render::to_text(&d.0, &source.map, false)
        )
    })
}

#[test]
fn shop_matches_its_golden_yaml_for_each_profile() {
    let bless = std::env::var_os("KILN_BLESS").is_some();
    let mut failures = Vec::new();
    for profile in PROFILES {
        let golden = shop().join(format!("{profile}.yaml"));
        let actual = match compile_dir(&shop(), Some(profile)) {
            Ok(b) => b.to_yaml(),
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        assert_eq!(
            compile_dir(&shop(), Some(profile)).map(|b| b.to_yaml()),
            Ok(actual.clone()),
            "two compilations differ"
        );
        if bless {
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(e, a)| e != a)
                .map_or("the lengths differ".to_string(), |i| {
                    format!("line {}", i + 1)
                });
            failures.push(format!(
                "{} differs from the compiled output at {line}; rerun with KILN_BLESS=1 and \
                 review the diff",
                golden.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The workspace has three apps, each file also compiles alone, and the profiles differ.
#[test]
fn shop_is_three_apps_and_each_file_compiles_alone() {
    let b = compile_dir(&shop(), None).unwrap();
    let mut apps: Vec<&str> = b.objects.iter().map(|o| o.app.as_str()).collect();
    apps.dedup();
    apps.sort();
    apps.dedup();
    assert_eq!(apps, ["admin", "api", "storefront"]);
    for app in ["admin", "api", "storefront"] {
        let source = kiln::Source::from_path(&shop().join(format!("{app}.kiln"))).unwrap();
        let alone = kiln::compile(&source, &kiln::Options::default())
            .unwrap_or_else(|d| panic!("{app}.kiln: {:?}", d.0));
        let in_workspace: Vec<_> = b.objects.iter().filter(|o| o.app == app).collect();
        assert_eq!(alone.objects.len(), in_workspace.len(), "{app}");
    }
    let staging = compile_dir(&shop(), Some("staging")).unwrap().to_yaml();
    let production = compile_dir(&shop(), Some("production")).unwrap().to_yaml();
    assert!(staging.contains("host: staging.shop.example.com"));
    assert!(production.contains("host: shop.example.com"));
    assert_ne!(staging, production);
}

/// Every JSON path where `a` and `b` differ (`spec.replicas`, `spec.template.x[2]`).
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => differences(v, w, &p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(path.to_string()),
    }
}

/// (app, kind, namespace, name) of each object, and the paths in which it differs between
/// the two bundles (objects present in one bundle only are reported as `added`/`removed`).
fn compare(base: &kiln::Bundle, other: &kiln::Bundle) -> Vec<(String, Vec<String>)> {
    let key = |o: &kiln::lower::Object| format!("{}/{}/{}/{}", o.app, o.kind, o.namespace, o.name);
    let mut out = Vec::new();
    for o in &base.objects {
        match other.objects.iter().find(|p| key(p) == key(o)) {
            None => out.push((key(o), vec!["removed".to_string()])),
            Some(p) => {
                let mut d = Vec::new();
                differences(&o.value, &p.value, "", &mut d);
                if !d.is_empty() {
                    out.push((key(o), d));
                }
            }
        }
    }
    for p in &other.objects {
        if !base.objects.iter().any(|o| key(o) == key(p)) {
            out.push((key(p), vec!["added".to_string()]));
        }
    }
    out.sort();
    out
}

/// A copy of the workspace with one more file.
fn workspace_with(extra: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(shop()).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "kiln") {
            std::fs::copy(&p, d.path().join(e.file_name())).unwrap();
        }
    }
    std::fs::write(d.path().join("scale.kiln"), extra).unwrap();
    d
}

#[test]
fn a_profile_changing_only_replicas_changes_only_replicas() {
    // Every workload that runs two replicas or more without autoscaling, each to another
    // count of at least two. (The count of an autoscaled service belongs to its
    // HorizontalPodAutoscaler, and going from or to a single replica legitimately changes
    // more: both are the next test.)
    let d =
        workspace_with("profile scale {\n  admin.web.replicas = 4\n  api.web.replicas = 6\n}\n");
    let base = compile_dir(d.path(), None).unwrap();
    let scaled = compile_dir(d.path(), Some("scale")).unwrap();
    // Same objects, same apply order.
    let names = |b: &kiln::Bundle| -> Vec<String> {
        b.objects
            .iter()
            .map(|o| format!("{}/{}/{}", o.kind, o.namespace, o.name))
            .collect()
    };
    assert_eq!(names(&base), names(&scaled));
    let replicas = vec!["spec.replicas".to_string()];
    assert_eq!(
        compare(&base, &scaled),
        vec![
            (
                "admin/Deployment/admin/admin-web".to_string(),
                replicas.clone()
            ),
            ("api/Deployment/api/api-web".to_string(), replicas),
        ],
        "exactly the two Deployments' spec.replicas may differ"
    );
    for (app, want) in [("admin", 4), ("api", 6)] {
        let web = scaled
            .objects
            .iter()
            .find(|o| o.app == app && o.kind == "Deployment" && o.block == "web")
            .unwrap();
        assert_eq!(web.value["spec"]["replicas"], want);
    }
}

#[test]
fn replicas_of_an_autoscaled_service_and_from_or_to_one() {
    // storefront.web is autoscaled: its HorizontalPodAutoscaler owns the count (`min`,
    // `max`) and the Deployment has no `spec.replicas`, so a `replicas` override changes
    // nothing in the output at all.
    let d = workspace_with("profile scale {\n  storefront.web.replicas = 7\n}\n");
    let base = compile_dir(d.path(), None).unwrap();
    let scaled = compile_dir(d.path(), Some("scale")).unwrap();
    assert_eq!(compare(&base, &scaled), vec![]);

    // Across one replica, two things legitimately follow the count: the
    // PodDisruptionBudget (a budget cannot protect a single pod, and one that forbade
    // evicting it would block every node drain: kiln writes one from two replicas up)
    // and the pod anti-affinity that spreads replicas over nodes (nothing to spread with
    // one pod). Exactly those differ, nothing else.
    let d = workspace_with(
        "profile scale {\n  admin.web.replicas = 1\n  storefront.queue.replicas = 5\n}\n",
    );
    let base = compile_dir(d.path(), None).unwrap();
    let scaled = compile_dir(d.path(), Some("scale")).unwrap();
    let spread = vec![
        "spec.replicas".to_string(),
        "spec.template.spec.affinity".to_string(),
    ];
    assert_eq!(
        compare(&base, &scaled),
        vec![
            (
                "admin/Deployment/admin/admin-web".to_string(),
                spread.clone()
            ),
            (
                "admin/PodDisruptionBudget/admin/admin-web".to_string(),
                vec!["removed".to_string()]
            ),
            (
                "storefront/Deployment/storefront/storefront-queue".to_string(),
                spread
            ),
            (
                "storefront/PodDisruptionBudget/storefront/storefront-queue".to_string(),
                vec!["added".to_string()]
            ),
        ]
    );
}
