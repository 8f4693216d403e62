//! Environment: plain values → a ConfigMap named by a hash of its content (so changing
//! a value renames the ConfigMap and rolls the pods that use it), consumed with
//! `envFrom`; `secret(..)`, `config_map(..)` and `field(..)` → `valueFrom` entries.
//! A Secret's value never appears in the output: only its name and key.

use super::Cx;
use super::meta::{self, Block};
use crate::check::model::{App, Container, Env, EnvFrom, EnvValue};
use crate::diag::{Diagnostic, codes};
use crate::source::Loc;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, ConfigMapKeySelector, EnvFromSource, EnvVar, EnvVarSource,
    ObjectFieldSelector, SecretEnvSource, SecretKeySelector,
};
use std::collections::BTreeMap;

/// Kubernetes refuses a ConfigMap whose `data` and `binaryData` keys and values add up
/// to more than 1 MiB (etcd's value limit, checked by the API server on create).
pub const CONFIG_MAP_MAX_BYTES: usize = 1024 * 1024;

/// Where the data of a generated ConfigMap comes from, for the diagnostic when it is too
/// large.
#[derive(Debug, Clone, Copy)]
pub struct DataSource<'a> {
    /// The block that declares it (the app, a container, a volume).
    pub loc: Loc,
    /// What it is, for the label: "the `env` values of `web`", "the files of volume `conf`".
    pub what: &'a str,
}

/// A ConfigMap named `{base}-{hash10}` of `data`, pushed to the bundle; returns the name.
/// Data over [`CONFIG_MAP_MAX_BYTES`] is an error at `source` (K0413) and nothing is
/// pushed: the API server would refuse the object.
pub fn hashed_config_map(
    cx: &mut Cx,
    app: &App,
    block: &Block,
    base: &str,
    data: BTreeMap<String, String>,
    source: DataSource,
) -> String {
    // BTreeMap: the hash does not depend on the order keys were written in.
    let hash = meta::content_hash(data.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]), 10);
    let name = [base, "-", &hash].concat();
    let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > CONFIG_MAP_MAX_BYTES {
        cx.diags.push(
            Diagnostic::new(
                codes::CONFIG_MAP_TOO_LARGE,
                source.loc.file,
                source.loc.span,
                format!(
                    "the ConfigMap `{name}` would hold {size} bytes, more than the {CONFIG_MAP_MAX_BYTES} (1 MiB) Kubernetes accepts"
                ),
            )
            .label(format!("{} add up to {size} bytes", source.what))
            .help("keep large data out of `env` and `file(..)`: put it in the image, or split the files over several volumes"),
        );
        return name;
    }
    let mut cm = ConfigMap {
        metadata: meta::object_meta(cx, app, block, name.clone()),
        data: Some(data),
        ..Default::default()
    };
    cx.push(app, block.name, &mut cm);
    name
}

/// The plain values of `env`, in key order: a map of the pool when one has these keys
/// (the data of the previous app's ConfigMap, which the next app's usually shares).
fn plain(cx: &mut Cx, env: &Env) -> BTreeMap<String, String> {
    let mut pairs: Vec<(&str, &str)> = env
        .vars
        .iter()
        .filter_map(|(k, v)| match v {
            EnvValue::Plain(s) => Some((k.as_str(), s.as_str())),
            _ => None,
        })
        .collect();
    if pairs.is_empty() {
        return BTreeMap::new();
    }
    // Keys are unique (`env` is a map).
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    cx.meta.map_of(&pairs)
}

/// The app's shared ConfigMap `{app}-env-{hash10}`, if the app has plain env values.
pub fn app_config_map(cx: &mut Cx, app: &App) -> Option<String> {
    let data = plain(cx, &app.env);
    if data.is_empty() {
        return None;
    }
    let block = Block::app(app);
    let base = [app.name.as_str(), "-env"].concat();
    let source = DataSource {
        loc: app.loc,
        what: "the `env` values of the app",
    };
    Some(hashed_config_map(cx, app, &block, &base, data, source))
}

/// A container's `env` and `envFrom`.
#[derive(Debug, Default)]
pub struct ContainerEnv {
    /// `env`: references (secrets, config map keys, fields).
    pub env: Vec<EnvVar>,
    /// `envFrom`: whole Secrets/ConfigMaps, then kiln's ConfigMaps (last wins).
    pub env_from: Vec<EnvFromSource>,
}

fn var(name: &str, value: &EnvValue) -> Option<EnvVar> {
    let source = match value {
        EnvValue::Plain(_) => return None,
        EnvValue::Secret { name, key } => EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: name.clone(),
                key: key.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        EnvValue::ConfigMap { name, key } => EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: name.clone(),
                key: key.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        EnvValue::Field(path) => EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
    };
    Some(EnvVar {
        name: name.to_owned(),
        value_from: Some(source),
        ..Default::default()
    })
}

fn from(f: &EnvFrom) -> EnvFromSource {
    match f {
        EnvFrom::Secret(name) => EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name: name.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        EnvFrom::ConfigMap(name) => config_map_ref(name),
    }
}

fn config_map_ref(name: &str) -> EnvFromSource {
    EnvFromSource {
        config_map_ref: Some(ConfigMapEnvSource {
            name: name.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The env of one container, written into `out` (emptied first; its vectors' buffers
/// are reused): the app's env overlaid with the container's own. Plain values the
/// container sets go to its own ConfigMap `{base}-{hash10}` (listed after the app's in
/// `envFrom`, so it wins); references go to `env`, which wins over `envFrom`. `base` is
/// `base_parts` concatenated, built only when there is such a ConfigMap.
pub fn container_env(
    cx: &mut Cx,
    app: &App,
    block: &Block,
    container: &Container,
    app_cm: Option<&str>,
    base_parts: &[&str],
    out: &mut ContainerEnv,
) {
    let own = &container.env;
    out.env.clear();
    out.env_from.clear();
    for (k, v) in &app.env.vars {
        if own.vars.contains_key(k) {
            continue;
        }
        out.env.extend(var(k, v));
    }
    for (k, v) in &own.vars {
        out.env.extend(var(k, v));
    }
    out.env_from
        .extend(app.env.from.iter().chain(own.from.iter()).map(from));
    if let Some(cm) = app_cm {
        out.env_from.push(config_map_ref(cm));
    }
    let data = plain(cx, own);
    if !data.is_empty() {
        let what = format!("the `env` values of `{}`", container.name);
        let source = DataSource {
            loc: container.loc,
            what: &what,
        };
        let name = hashed_config_map(cx, app, block, &base_parts.concat(), data, source);
        out.env_from.push(config_map_ref(&name));
    }
}
