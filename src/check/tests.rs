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
