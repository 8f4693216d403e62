//! No secret value reaches the output of `kiln diff`, in any format: a Secret's data
//! and stringData (raw and base64), the last-applied annotation that repeats them,
//! credential-looking env vars and ConfigMap entries, and URL passwords, on both sides,
//! changed, unchanged, added and removed.

mod diff_support;

use base64::Engine;
use diff_support::kiln;

/// Every secret value used below, in the clear.
const SECRETS: [&str; 8] = [
    "hunter2-plain-in-env",
    "urlpass-9876",
    "new-token-value-AAAA1111",
    "old-token-value-BBBB2222",
    "old-db-password-XYZ",
    "oldurlpass-5555",
    "removed-secret-CCCC3333",
    "ghp_handset_token_DDDD4444",
];

const APP: &str = r#"app shop {
  namespace = "shop"
  image     = "registry.example.com/shop:1.0.0"
  env {
    DB_PASSWORD  = "hunter2-plain-in-env"
    DATABASE_URL = "postgres://shop:urlpass-9876@db:5432/shop"
    MODE         = "fast"
  }
  worker queue {
    command = ["bin/queue"]
  }
  raw creds { file = file("secret.yaml") }
}
"#;

const SECRET_YAML: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  api-token: new-token-value-AAAA1111\n  same: unchanged-but-secret-EEEE5555\n";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The before side: the cluster as `kubectl get -o yaml` shows it.
fn before() -> String {
    let last_applied = format!(
        r#"{{"apiVersion":"v1","data":{{"api-token":"{}","same":"{}"}},"kind":"Secret","metadata":{{"name":"creds","namespace":"shop"}}}}"#,
        b64("old-token-value-BBBB2222"),
        b64("unchanged-but-secret-EEEE5555")
    );
    format!(
        r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{last_applied}'
    name: creds
    namespace: shop
    resourceVersion: "7"
    uid: 11111111-2222-4333-8444-555555555555
  data:
    api-token: {old}
    same: {same}
  type: Opaque
- apiVersion: v1
  kind: Secret
  metadata:
    name: old-creds
    namespace: shop
  stringData:
    key: removed-secret-CCCC3333
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: shop-env-0123456789
    namespace: shop
  data:
    DB_PASSWORD: old-db-password-XYZ
    DATABASE_URL: postgres://shop:oldurlpass-5555@db:5432/shop
    MODE: slow
- apiVersion: v1
  kind: Pod
  metadata:
    name: debug
    namespace: shop
  spec:
    containers:
    - name: debug
      image: debug:1
      env:
      - name: GITHUB_TOKEN
        value: ghp_handset_token_DDDD4444
"#,
        old = b64("old-token-value-BBBB2222"),
        same = b64("unchanged-but-secret-EEEE5555"),
    )
}

#[test]
fn no_secret_byte_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("app.kiln"), APP).unwrap();
    std::fs::write(d.join("secret.yaml"), SECRET_YAML).unwrap();
    std::fs::write(d.join("before.yaml"), before()).unwrap();
    let mut forbidden: Vec<String> = SECRETS.iter().map(|s| s.to_string()).collect();
    forbidden.push("unchanged-but-secret-EEEE5555".into());
    for s in forbidden.clone() {
        forbidden.push(b64(&s));
    }
    let mut outputs = Vec::new();
    for format in ["text", "markdown", "json"] {
        for summary in [false, true] {
            let mut args = vec![
                "diff",
                "app.kiln",
                "--against",
                "before.yaml",
                "--format",
                format,
            ];
            if summary {
                args.push("--summary");
            }
            let (code, out, err) = kiln(&args, None, Some(d));
            assert_eq!(code, 1, "{args:?}: {out}{err}");
            for s in &forbidden {
                assert!(!out.contains(s.as_str()), "{args:?} leaks `{s}`:\n{out}");
                assert!(
                    !err.contains(s.as_str()),
                    "{args:?} leaks `{s}` on stderr:\n{err}"
                );
            }
            outputs.push((format, summary, out));
        }
    }
    // The masks still say what changed.
    let (_, _, text) = &outputs[0];
    assert!(
        text.contains("-  api-token: \"*** (before)\"\n+  api-token: \"*** (after)\"\n"),
        "{text}"
    );
    assert!(text.contains("   same: \"***\"\n"), "{text}");
    assert!(
        text.contains("-  DB_PASSWORD: \"*** (before)\"\n")
            && text.contains("+  DB_PASSWORD: \"*** (after)\"\n"),
        "{text}"
    );
    assert!(
        text.contains("postgres://shop:*** (after)@db:5432/shop"),
        "{text}"
    );
    assert!(
        text.contains("-  MODE: slow\n") && text.contains("+  MODE: fast\n"),
        "{text}"
    );
    assert!(text.contains("- v1 Secret shop/old-creds\n"), "{text}");
    assert!(text.contains("value: \"***\""), "{text}");
    assert!(!text.contains("last-applied"), "{text}");
    let (_, _, json) = &outputs[4];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let secret = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "creds")
        .unwrap();
    assert_eq!(
        secret["changes"],
        serde_json::json!([{"op": "replace", "path": "data.api-token", "pointer": "/data/api-token",
                            "before": "*** (before)", "after": "*** (after)"}])
    );
}

#[test]
fn secrets_are_masked_when_reading_fails_too() {
    // A malformed manifest with a secret in it: the error names the place, not the value.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("app.kiln"), APP).unwrap();
    std::fs::write(d.join("secret.yaml"), SECRET_YAML).unwrap();
    std::fs::write(
        d.join("bad.yaml"),
        "apiVersion: v1\nkind: Secret\nstringData:\n  token: removed-secret-CCCC3333\n  token: old-token-value-BBBB2222\n",
    )
    .unwrap();
    let (code, out, err) = kiln(
        &["diff", "app.kiln", "--against", "bad.yaml"],
        None,
        Some(d),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("duplicate key `token`"), "{err}");
    for s in SECRETS {
        assert!(!err.contains(s) && !out.contains(s), "leaks `{s}`: {err}");
    }
}
