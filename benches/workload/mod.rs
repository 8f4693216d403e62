//! The benchmark workload (issue 8): N apps, each with an env of 5 keys, a service
//! (3 replicas, port 8080, http health, cpu and memory ranges) and a `before_deploy`
//! migration job — the same apps the peer tools in `../shared/bench/peers/` render
//! (ConfigMap, Deployment, Service, Job per app), written the idiomatic kiln way.
//!
//! Shared by the divan benchmark (`benches/stages.rs`, in memory) and the generator
//! (`benches/workload/main.rs`, to disk), so both always measure the same text.

#![allow(dead_code)] // each user needs a different part

use std::fmt::Write as _;

/// The workload sizes of issue 8.
pub const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// The source of app number `i` (1-based), as `kiln fmt` lays it out.
pub fn app(i: usize) -> String {
    let mut s = String::with_capacity(520);
    let _ = write!(
        s,
        r#"app app-{i} {{
  image = "registry.example.com/app-{i}:1.0.0"

  env {{
    APP_NAME     = "app-{i}"
    APP_ENV      = "production"
    LOG_LEVEL    = "info"
    HTTP_PORT    = "8080"
    DATABASE_URL = "postgres://db.example.com:5432/app-{i}"
  }}

  service web {{
    port     = 8080
    replicas = 3
    health   = http("/healthz")
    cpu      = 100m .. 500m
    memory   = 128Mi .. 256Mi
  }}

  job migrate {{
    command = ["rails", "db:migrate"]
    run     = before_deploy
  }}
}}
"#
    );
    s
}

/// All `n` apps in one file, one blank line between apps.
pub fn single_file(n: usize) -> String {
    let mut s = String::with_capacity(n * 520 + 64);
    let _ = writeln!(
        s,
        "// kiln benchmark workload: {n} apps (benches/workload)\n"
    );
    for i in 1..=n {
        if i > 1 {
            s.push('\n');
        }
        s.push_str(&app(i));
    }
    s
}

/// The workspace form: one file per app, `(file name, text)`. `kiln compile DIR` (a
/// directory of files with imports) is a later issue; the files are written so that the
/// benchmark can use them as soon as it exists.
pub fn workspace(n: usize) -> Vec<(String, String)> {
    (1..=n).map(|i| (format!("app-{i}.kiln"), app(i))).collect()
}
