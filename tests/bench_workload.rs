//! The benchmark workload (benches/workload, issue 8) stays a valid kiln program with the
//! objects docs/performance.md counts, and the copy committed for the CI guard
//! (benches/workload/n100.kiln, read by benches/smoke.sh) is exactly what the generator
//! writes. No timing here: timings are benches/ and the callgrind guard.

#[path = "../benches/workload/mod.rs"]
mod workload;

use kiln::{Options, Source};

#[test]
fn the_workload_compiles_to_eight_objects_per_app() {
    let source = Source::from_text("n10.kiln", workload::single_file(10));
    let bundle = kiln::compile(&source, &Options::default()).expect("the workload compiles");
    assert!(bundle.warnings.is_empty(), "{:?}", bundle.warnings);
    assert_eq!(bundle.objects.len(), 80);
    for kind in ["ConfigMap", "Deployment", "Service", "Job"] {
        assert_eq!(
            bundle.objects.iter().filter(|o| o.kind == kind).count(),
            10,
            "{kind}"
        );
    }
    // One file per app compiles to the same objects as that app in the single file.
    let (name, text) = &workload::workspace(10)[3];
    assert_eq!(name, "app-4.kiln");
    let one = kiln::compile(
        &Source::from_text(name.clone(), text.clone()),
        &Options::default(),
    )
    .expect("one app compiles");
    let yaml = one.to_yaml();
    let all = bundle.to_yaml();
    for doc in yaml.split("---\n") {
        assert!(
            all.contains(doc),
            "missing from the single-file bundle:\n{doc}"
        );
    }
}

#[test]
fn the_committed_smoke_workload_is_the_generated_one() {
    let committed = include_str!("../benches/workload/n100.kiln");
    assert!(
        committed == workload::single_file(100),
        "benches/workload/n100.kiln is stale: regenerate it with \
         `cargo bench --bench workload -- --write benches/workload 100` (and delete ws-n100/)"
    );
}

#[test]
fn the_workload_is_formatted() {
    let text = workload::single_file(3);
    let (ast, d) = kiln::syntax::parse(kiln::source::FileId(0), &text);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(kiln::syntax::fmt::format(&ast, &text), text);
}
