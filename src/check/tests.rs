//! Unit tests of the checker through the real parser (fixtures cover diagnostics; these
//! cover the model).

use super::model::*;
use crate::{Options, Source};

fn model_of(text: &str, profile: Option<&str>) -> (Option<Model>, Vec<String>) {
    let source = Source::from_text("test.kiln", text);
    let options = Options {
        profile: profile.map(str::to_string),
        ..Options::default()
    };
    let a = crate::analyze(&source, &options);
    let codes = a
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    (a.model, codes)
}

const CSIS: &str = include_str!("../../examples/csis/app.kiln");

#[test]
fn csis_model() {
    let (m, diags) = model_of(CSIS, None);
    let m = m.unwrap_or_else(|| panic!("{diags:?}"));
    let app = &m.apps[0];
    assert_eq!(app.name, "csis");
    assert_eq!(app.image.tag.as_deref(), Some("1.4.2"));
    assert_eq!(
        app.env.vars.get("REDIS_URL"),
        Some(&EnvValue::Plain(
            "redis://redis.csis.svc.cluster.local:6379/".into()
        ))
    );
    let web = app.workloads.iter().find(|w| w.name == "web").unwrap();
    assert_eq!(web.replicas, Some(3));
    let cpu = web.container.cpu.as_ref().unwrap();
    assert_eq!((cpu.min.millis, cpu.min.text.as_str()), (250, "250m"));
    assert_eq!(cpu.max.text, "1");
    let mem = web.container.memory.as_ref().unwrap();
    assert_eq!(mem.min.text, "512Mi");
    assert_eq!(mem.max.bytes, 1 << 30);
    assert_eq!(
        web.autoscale.as_ref().map(|a| (a.min, a.max, a.cpu)),
        Some((3, 10, Some(70)))
    );
    assert_eq!(web.container.ports[0].number, 3000);
    let seed = app.jobs.iter().find(|j| j.name == "seed").unwrap();
    assert_eq!(seed.run, RunPhase::OnInstall);
    assert_eq!(seed.after[0].0, "migrate");
    let migrate = app.jobs.iter().find(|j| j.name == "migrate").unwrap();
    assert_eq!(migrate.timeout, Some(Duration { secs: 600 }));
    assert_eq!(app.crons[0].schedule, "0 3 * * *");
}

#[test]
fn staging_profile_applies() {
    let (m, diags) = model_of(CSIS, Some("staging"));
    let m = m.unwrap_or_else(|| panic!("{diags:?}"));
    let web = m.apps[0]
        .workloads
        .iter()
        .find(|w| w.name == "web")
        .unwrap();
    assert_eq!(web.replicas, Some(1));
    assert!(web.autoscale.is_none());
    assert!(diags.iter().any(|d| d.starts_with("K0909")), "{diags:?}");
}

#[test]
fn unknown_profile_is_reported() {
    let (m, diags) = model_of(CSIS, Some("prod"));
    assert!(m.is_none());
    assert!(diags.iter().any(|d| d.starts_with("K0602")), "{diags:?}");
}

const FULL: &str = include_str!("../../tests/fixtures/check/clean_full.kiln");

#[test]
fn full_model() {
    let (m, diags) = model_of(FULL, None);
    let m = m.unwrap_or_else(|| panic!("{diags:?}"));
    assert!(diags.is_empty(), "{diags:?}");
    let app = &m.apps[0];
    assert_eq!(app.image.reference, "registry.example.com/shop:2.3.0");
    assert_eq!(app.ingress_namespace, "ingress");
    assert!(app.restrict_egress);
    assert_eq!(app.env.from.len(), 2);
    assert_eq!(
        app.env.vars.get("WEB_THREADS"),
        Some(&EnvValue::Plain("5".into()))
    );
    assert_eq!(
        app.env.vars.get("FEATURE_X"),
        Some(&EnvValue::Plain("true".into()))
    );
    assert_eq!(
        app.env.vars.get("CACHE_URL"),
        Some(&EnvValue::Plain("redis://cache.shop.svc:6379/0".into()))
    );
    assert_eq!(
        app.labels
            .get("example.com/cost-center")
            .map(String::as_str),
        Some("cc-42")
    );
    let web = app.workloads.iter().find(|w| w.name == "web").unwrap();
    assert_eq!(web.container.command, vec!["bin/puma", "-t", "5"]);
    assert_eq!(web.container.cpu.as_ref().unwrap().max.text, "1500m");
    assert_eq!(web.container.memory.as_ref().unwrap().max.text, "1536Mi");
    let h = web.container.health.as_ref().unwrap();
    assert_eq!(
        h.readiness.check,
        ProbeCheck::Http {
            path: "/ready".into(),
            port: None
        }
    );
    assert_eq!(h.readiness.failure_threshold, Some(3));
    assert_eq!(
        h.startup.as_ref().map(|p| &p.check),
        Some(&ProbeCheck::Tcp { port: None })
    );
    assert_eq!(web.container.ports.len(), 2);
    assert_eq!(web.sidecars[0].mounts, vec!["conf"]);
    assert_eq!(web.init[0].name, "wait-db");
    assert_eq!(web.volumes.len(), 2);
    assert!(matches!(
        web.volumes[0].source,
        VolumeSource::EmptyDir { size: Some(_) }
    ));
    assert_eq!(
        web.scheduling.tolerations[0].effect.as_deref(),
        Some("NoSchedule")
    );
    assert_eq!(
        web.patches[0].sets[1].path,
        vec!["spec", "template", "spec", "priorityClassName"]
    );
    assert_eq!(web.ingress.as_ref().unwrap().allow.len(), 2);
    let api = app.workloads.iter().find(|w| w.name == "api").unwrap();
    let ex = api.expose.as_ref().unwrap();
    assert_eq!(
        (ex.service_type, ex.port, ex.node_port),
        (ServiceType::NodePort, Some(80), Some(30081))
    );
    let cache = app.workloads.iter().find(|w| w.name == "cache").unwrap();
    assert_eq!(cache.kind, WorkloadKind::Stateful);
    assert!(
        matches!(&cache.volumes[0].source, VolumeSource::Claim { storage_class: Some(c), .. } if c == "fast")
    );
    let backfill = app.jobs.iter().find(|j| j.name == "backfill").unwrap();
    assert_eq!(backfill.compatible, Compatible::None);
    assert_eq!(backfill.after.len(), 2);
    let report = &app.crons[0];
    assert_eq!(
        (report.concurrency, report.keep_succeeded),
        (Concurrency::Replace, Some(3))
    );
    let ing = app.ingress.as_ref().unwrap();
    assert_eq!(
        ing.routes,
        vec![("/".into(), "web".into()), ("/api/".into(), "api".into())]
    );
}

#[test]
fn full_staging_profile() {
    let (m, diags) = model_of(FULL, Some("staging"));
    let m = m.unwrap_or_else(|| panic!("{diags:?}"));
    let app = &m.apps[0];
    assert_eq!(app.namespace, "shop-staging");
    assert_eq!(
        app.env.vars.get("CACHE_URL"),
        Some(&EnvValue::Plain(
            "redis://cache.shop-staging.svc:6379/0".into()
        ))
    );
    assert_eq!(
        app.env.vars.get("RAILS_ENV"),
        Some(&EnvValue::Plain("staging".into()))
    );
    let web = app.workloads.iter().find(|w| w.name == "web").unwrap();
    assert_eq!(web.replicas, Some(4), "from `base`, which staging extends");
    assert!(web.autoscale.is_none());
    assert_eq!(web.ingress.as_ref().unwrap().host, "staging.example.com");
    assert!(app.crons.is_empty());
    let queue = app.workloads.iter().find(|w| w.name == "queue").unwrap();
    assert_eq!(
        queue.autoscale.as_ref().map(|a| (a.min, a.max)),
        Some((2, 4))
    );
}

#[test]
fn profile_created_block_needs_required_fields() {
    let text = format!("{FULL}\nprofile broken {{\n  shop.queue.autoscale.max = 4\n}}\n");
    let (m, diags) = model_of(&text, Some("broken"));
    assert!(m.is_none());
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("K0104") && d.contains("`min`")),
        "{diags:?}"
    );
}

#[test]
fn checks_a_thousand_apps_quickly() {
    let mut text = String::new();
    // `KILN_CHECK_APPS=4000` to see how the time grows (it should be linear).
    let n: usize = std::env::var("KILN_CHECK_APPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    for i in 0..n {
        text.push_str(
            &CSIS
                .replace("app csis", &format!("app csis{i}"))
                .replace("profile staging", &format!("profile staging{i}"))
                .replace("csis.web", &format!("csis{i}.web")),
        );
    }
    let source = Source::from_text("big.kiln", text);
    let (ast, d) = crate::syntax::parse(source.entry, &source.entry_file().text);
    assert!(d.is_empty());
    let start = std::time::Instant::now();
    let (m, diags) = super::check(&source, &ast, &Options::default());
    let took = start.elapsed();
    assert!(!diags.has_errors());
    assert_eq!(m.map(|m| m.apps.len()), Some(n));
    // Generous for debug builds on a shared machine; release is a few milliseconds.
    eprintln!("checked {n} apps in {took:?}");
    assert!(took.as_millis() < 2000, "{took:?}");
}

#[test]
fn profile_restores_a_block_a_base_removed() {
    let text = format!(
        "{CSIS}\nprofile lean {{\n  csis.web.autoscale = none\n}}\nprofile burst extends lean {{\n  csis.web.autoscale.max = 20\n}}\n"
    );
    let (m, diags) = model_of(&text, Some("burst"));
    let m = m.unwrap_or_else(|| panic!("{diags:?}"));
    let web = m.apps[0]
        .workloads
        .iter()
        .find(|w| w.name == "web")
        .unwrap();
    assert_eq!(
        web.autoscale.as_ref().map(|a| (a.min, a.max)),
        Some((3, 20))
    );
    let (m, _) = model_of(&text, Some("lean"));
    let web = m.unwrap().apps[0]
        .workloads
        .iter()
        .find(|w| w.name == "web")
        .cloned()
        .unwrap();
    assert!(web.autoscale.is_none());
}

#[test]
fn small_map_spills_into_a_hash_map() {
    let names: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    let mut m: super::SmallMap<'_, usize> = super::SmallMap::default();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(m.get(n), None);
        m.insert(n, i);
    }
    for (i, n) in names.iter().enumerate() {
        assert_eq!(m.get(n), Some(i));
    }
    assert_eq!(m.keys().count(), 40);
}

/// Many apps, some with errors and warnings of every kind the per-app checkers report
/// (and some the top level reports), checked with pools of 1 to 8 threads: the model
/// and the diagnostics (their order, labels and redactions included) are the same.
#[test]
fn same_result_whatever_the_thread_count() {
    let mut text = String::from(
        "let registry = \"registry.example.com\"\nlet bad_port = \"eighty\"\nlet unused = 1\nlet db_password = \"hunter2-canary\"\nlet loop_a = \"${loop_b}\"\nlet loop_b = \"${loop_a}\"\n",
    );
    for i in 0..60 {
        text.push_str(&format!(
            "app a{i} {{\n  image = \"${{registry}}/a{i}:1.{i}\"\n  env {{\n    NAME = \"${{app}}-${{namespace}}\"\n    LEVEL = \"info\"\n"
        ));
        if i % 7 == 3 {
            text.push_str("    API_TOKEN = \"tok-canary-value\"\n");
        }
        text.push_str("  }\n  service web {\n");
        match i % 11 {
            1 => text.push_str("    port = bad_port\n"),
            4 => text.push_str("    port = 8080\n    colour = \"red\"\n"),
            6 => text.push_str("    port = 8080\n    labels { tier = \"${loop_a}\" }\n"),
            8 => text.push_str("    port = 99999\n    replicas = \"3\"\n"),
            _ => text.push_str("    port = 8080\n"),
        }
        text.push_str("    health = http(\"/healthz\")\n  }\n}\n");
    }
    text.push_str("profile prod {\n  a5.web.replicas = 4\n  a9.web.replicas = \"x\"\n  nope.web.replicas = 1\n}\n");
    let clean: String = (0..40)
        .map(|i| format!("app c{i} {{\n  image = \"r.example.com/c{i}:1.0.{i}\"\n  service web {{\n    port = 80\n    health = http(\"/\")\n  }}\n}}\n"))
        .collect();
    for (text, profile) in [
        (text.as_str(), None),
        (text.as_str(), Some("prod")),
        (clean.as_str(), None),
    ] {
        let source = Source::from_text("many.kiln", text);
        let (ast, d) = crate::syntax::parse(source.entry, &source.entry_file().text);
        assert!(d.is_empty(), "{d:?}");
        let options = Options {
            profile: profile.map(str::to_string),
            ..Options::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            pool.install(|| {
                let (m, diags) = super::check(&source, &ast, &options);
                (format!("{m:#?}"), format!("{diags:#?}"))
            })
        };
        let one = run(1);
        if text.starts_with("let") {
            assert!(one.0 == "None", "the errors were not found");
            for code in ["K0212", "K0912", "K0101"] {
                assert!(one.1.contains(code), "no {code} in {}", one.1);
            }
        } else {
            assert!(one.0.starts_with("Some("), "{}", one.1);
        }
        for threads in [2, 3, 8] {
            let many = run(threads);
            assert!(many.0 == one.0, "the model differs with {threads} threads");
            assert!(
                many.1 == one.1,
                "the diagnostics differ with {threads} threads"
            );
        }
    }
}

/// A `let` is evaluated once per app, failures included: forty bindings that each
/// interpolate the one before twice would be 2^40 evaluations without it. The one
/// undefined name is reported once, and each app still gets the binding's text.
#[test]
fn interpolated_lets_are_evaluated_once() {
    let mut text = String::from("let bad0 = \"${nowhere}\"\nlet ok0 = \"ab\"\n");
    for i in 1..=40 {
        let p = i - 1;
        text.push_str(&format!("let bad{i} = \"${{bad{p}}}${{bad{p}}}\"\n"));
    }
    for i in 1..=16 {
        let p = i - 1;
        text.push_str(&format!("let ok{i} = \"${{ok{p}}}${{ok{p}}}\"\n"));
    }
    for a in 0..3 {
        text.push_str(&format!(
            "app a{a} {{\n  image = \"r.example.com/a:1\"\n  env {{\n    BIG = \"${{ok16}}\"\n    BAD = \"${{bad40}}\"\n  }}\n}}\n"
        ));
    }
    let (m, diags) = model_of(&text, None);
    assert!(m.is_none());
    let undefined: Vec<&String> = diags.iter().filter(|d| d.contains("nowhere")).collect();
    assert_eq!(undefined.len(), 1, "{diags:?}");
    assert_eq!(diags.len(), 1, "{diags:?}");
    let clean = text
        .replace("    BAD = \"${bad40}\"\n", "")
        .replace("${nowhere}", "x");
    let (m, diags) = model_of(&clean, None);
    let m = m.unwrap_or_else(|| panic!("{diags:?}"));
    for app in &m.apps {
        match app.env.vars.get("BIG") {
            Some(EnvValue::Plain(t)) => assert_eq!(t.len(), 2 << 16),
            other => panic!("{other:?}"),
        }
    }
}
