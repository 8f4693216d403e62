//! Per-stage benchmarks on the issue 8 workload (`benches/workload/`): parse, check,
//! lower, order, emit, and the whole in-process pipeline, at N = 100 and 1,000 apps;
//! N = 10,000 is the separate, slower group `large`.
//!
//! ```sh
//! cargo bench --bench stages                # N = 100 and 1,000
//! cargo bench --bench stages -- large       # N = 10,000 only
//! cargo bench --bench stages -- parse       # one stage
//! ```
//!
//! Throughput is reported in bytes of kiln source (parse, check), Kubernetes objects
//! (lower, order) and bytes of YAML written (emit, pipeline).
//!
//! `kiln compile` to standard output does not run `lower`, `order` and `emit` one after
//! the other: `lower_to_yaml` writes each object's YAML as it is lowered (no JSON tree)
//! and puts each app's documents in release order, and `compile_to_yaml` is that whole
//! path from text. `lower`, `order`, `emit` and `pipeline` measure the general path the
//! diff, the language server and `kiln plan` use. Whole-process timings and
//! peak memory against the peer tools are `benches/compare.sh`'s job.

mod workload;

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use kiln::check::model::Model;
use kiln::lower::Object;
use kiln::{Options, Source};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

// The allocator of the `kiln` binary (src/main.rs), so that the stages cost here what
// they cost in `kiln compile`.
#[global_allocator]
static GLOBAL: kiln::alloc::Allocator = kiln::alloc::Allocator;

fn main() {
    divan::main();
}

/// Everything a stage needs as input, built once per N (outside any timing).
struct Prepared {
    source: Source,
    ast: kiln::syntax::ast::File,
    model: Model,
    /// The lowered objects, before ordering.
    lowered: Vec<Object>,
    /// The objects in apply order.
    ordered: Vec<Object>,
    /// Bytes of YAML the bundle is.
    yaml_bytes: usize,
}

fn prepared(n: usize) -> &'static Prepared {
    static CACHE: OnceLock<Mutex<HashMap<usize, &'static Prepared>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(n)
        .or_insert_with(|| Box::leak(Box::new(prepare(n))))
}

fn prepare(n: usize) -> Prepared {
    let options = Options::default();
    let source = Source::from_text(format!("n{n}.kiln"), workload::single_file(n));
    let (ast, d) = kiln::syntax::parse(source.entry, &source.entry_file().text);
    assert!(!d.has_errors(), "the workload must parse: {d:?}");
    let (model, d) = kiln::check::check(&source, &ast, &options);
    let model = model.unwrap_or_else(|| panic!("the workload must check: {d:?}"));
    let (lowered, _) = kiln::lower::lower(&model, &options).expect("the workload lowers");
    let mut ordered = lowered.clone();
    kiln::order::sort(&mut ordered);
    let yaml_bytes = kiln::emit::to_yaml(&ordered).len();
    Prepared {
        source,
        ast,
        model,
        lowered,
        ordered,
        yaml_bytes,
    }
}

fn source_bytes(p: &Prepared) -> BytesCount {
    BytesCount::new(p.source.entry_file().text.len())
}

fn objects(p: &Prepared) -> ItemsCount {
    ItemsCount::new(p.ordered.len())
}

fn parse(b: Bencher, n: usize) {
    let p = prepared(n);
    let text = &p.source.entry_file().text;
    b.counter(source_bytes(p))
        .bench(|| kiln::syntax::parse(p.source.entry, black_box(text)));
}

fn check(b: Bencher, n: usize) {
    let p = prepared(n);
    let options = Options::default();
    b.counter(source_bytes(p))
        .bench(|| kiln::check::check(&p.source, black_box(&p.ast), &options));
}

fn lower(b: Bencher, n: usize) {
    let p = prepared(n);
    let options = Options::default();
    b.counter(objects(p))
        .bench(|| kiln::lower::lower(black_box(&p.model), &options));
}

fn order(b: Bencher, n: usize) {
    let p = prepared(n);
    b.counter(objects(p))
        .with_inputs(|| p.lowered.clone())
        .bench_local_refs(|objects| kiln::order::sort(objects));
}

fn emit(b: Bencher, n: usize) {
    let p = prepared(n);
    b.counter(BytesCount::new(p.yaml_bytes))
        .counter(objects(p))
        .bench(|| kiln::emit::to_yaml(black_box(&p.ordered)));
}

/// Text in, YAML out, in process: what `kiln compile FILE` does besides start-up and I/O.
fn pipeline(b: Bencher, n: usize) {
    let p = prepared(n);
    let options = Options::default();
    b.counter(BytesCount::new(p.yaml_bytes))
        .counter(objects(p))
        .bench(|| {
            kiln::compile(black_box(&p.source), &options)
                .map(|bundle| bundle.to_yaml())
                .map(|yaml| yaml.len())
        });
}

/// Lowering, ordering and emission fused, as `kiln compile` runs them.
fn lower_to_yaml(b: Bencher, n: usize) {
    let p = prepared(n);
    let options = Options::default();
    b.counter(BytesCount::new(p.yaml_bytes))
        .counter(objects(p))
        .bench(|| kiln::lower::lower_to_yaml(black_box(&p.model), &options));
}

/// Text in, YAML out, the way `kiln compile FILE` does it.
fn compile_to_yaml(b: Bencher, n: usize) {
    let p = prepared(n);
    let options = Options::default();
    b.counter(BytesCount::new(p.yaml_bytes))
        .counter(objects(p))
        .bench(|| {
            kiln::compile_to_yaml(black_box(&p.source), &options)
                .map(|(parts, _)| parts.iter().map(String::len).sum::<usize>())
        });
}

/// N = 100 and 1,000: the everyday sizes.
mod stage {
    use super::*;

    const N: &[usize] = &[100, 1_000];

    #[divan::bench(args = N)]
    fn parse(b: Bencher, n: usize) {
        super::parse(b, n);
    }
    #[divan::bench(args = N)]
    fn check(b: Bencher, n: usize) {
        super::check(b, n);
    }
    #[divan::bench(args = N)]
    fn lower(b: Bencher, n: usize) {
        super::lower(b, n);
    }
    #[divan::bench(args = N)]
    fn order(b: Bencher, n: usize) {
        super::order(b, n);
    }
    #[divan::bench(args = N)]
    fn emit(b: Bencher, n: usize) {
        super::emit(b, n);
    }
    #[divan::bench(args = N)]
    fn pipeline(b: Bencher, n: usize) {
        super::pipeline(b, n);
    }
    #[divan::bench(args = N)]
    fn lower_to_yaml(b: Bencher, n: usize) {
        super::lower_to_yaml(b, n);
    }
    #[divan::bench(args = N)]
    fn compile_to_yaml(b: Bencher, n: usize) {
        super::compile_to_yaml(b, n);
    }
}

/// N = 10,000: slower, fewer samples; `cargo bench --bench stages -- large`.
mod large {
    use super::*;

    const N: &[usize] = &[10_000];

    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn parse(b: Bencher, n: usize) {
        super::parse(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn check(b: Bencher, n: usize) {
        super::check(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn lower(b: Bencher, n: usize) {
        super::lower(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn order(b: Bencher, n: usize) {
        super::order(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn emit(b: Bencher, n: usize) {
        super::emit(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn pipeline(b: Bencher, n: usize) {
        super::pipeline(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn lower_to_yaml(b: Bencher, n: usize) {
        super::lower_to_yaml(b, n);
    }
    #[divan::bench(args = N, sample_count = 10, sample_size = 1)]
    fn compile_to_yaml(b: Bencher, n: usize) {
        super::compile_to_yaml(b, n);
    }
}
