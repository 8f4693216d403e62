//! The live side: each object the bundle would apply, read from the cluster of the
//! user's kubeconfig with kube-rs (exec credential plugins, tokens and client
//! certificates as kubectl handles them), and with `--prune` the objects carrying the
//! app's `app.kubernetes.io/instance` label that the bundle no longer has.
//!
//! kube is async; the runtime lives here only (a current-thread tokio runtime created
//! per call), so the rest of the crate stays synchronous.

use super::ObjectKey;
use kube::Resource;
use kube::api::{DynamicObject, GroupVersionKind, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::params::GetParams;
use kube::discovery::{ApiResource, Scope};
use kube::{Client, Config};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where and what to read.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// The kubeconfig file (default: `$KUBECONFIG`, then `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    pub context: Option<String>,
    /// The namespace of objects that name none (default: the context's).
    pub namespace: Option<String>,
    /// Also list the app's objects that the bundle no longer has.
    pub prune: bool,
}

/// What was read.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// The live objects: those of the bundle that exist, then (with `--prune`) the
    /// app's objects the bundle lacks.
    pub objects: Vec<Value>,
    /// The API server's address.
    pub server: String,
    /// Remarks (kinds the cluster does not serve).
    pub notes: Vec<String>,
}

/// Why the cluster could not be read (exit 3 of `kiln diff`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// No usable kubeconfig, or the context is not in it.
    Config(String),
    /// The server did not answer.
    Unreachable {
        /// Its address.
        server: String,
        /// Why (connection refused, timeout, TLS).
        cause: String,
    },
    /// The server refused the credentials (401).
    Unauthorized {
        /// Its address.
        server: String,
        /// The server's message.
        message: String,
    },
    /// The server refused an operation (403).
    Forbidden {
        /// `get` or `list`.
        verb: String,
        /// `deployments.apps csis/csis-web`.
        what: String,
        /// The server's message.
        message: String,
    },
    /// Any other failure, with its context.
    Other(String),
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Config(m) | LiveError::Other(m) => f.write_str(m),
            LiveError::Unreachable { server, cause } => {
                write!(f, "cannot reach the API server at {server}: {cause}")
            }
            LiveError::Unauthorized { server, message } => write!(
                f,
                "the API server at {server} refused the credentials (401 Unauthorized): {message}"
            ),
            LiveError::Forbidden {
                verb,
                what,
                message,
            } => write!(f, "forbidden: cannot `{verb}` {what}: {message}"),
        }
    }
}

/// How long to wait for a connection and for an answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads the live counterparts of `desired` (and the prune candidates).
pub fn fetch(desired: &[Value], opts: &LiveOptions) -> Result<Live, LiveError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LiveError::Other(format!("cannot start the network runtime: {e}")))?;
    rt.block_on(fetch_async(desired, opts))
}

/// Loads the kubeconfig and checks the context exists, naming the ones that do.
async fn config(opts: &LiveOptions) -> Result<Config, LiveError> {
    let kc = match &opts.kubeconfig {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| {
        let from = match &opts.kubeconfig {
            Some(p) => format!("`{}`", p.display()),
            None => "$KUBECONFIG or ~/.kube/config".to_owned(),
        };
        LiveError::Config(format!("cannot load the kubeconfig from {from}: {e}"))
    })?;
    if let Some(ctx) = &opts.context
        && !kc.contexts.iter().any(|c| &c.name == ctx)
    {
        let names: Vec<String> = kc
            .contexts
            .iter()
            .map(|c| format!("`{}`", c.name))
            .collect();
        let known = if names.is_empty() {
            "it has none".to_owned()
        } else {
            format!("it has {}", names.join(", "))
        };
        let hint =
            crate::diag::suggest::did_you_mean(ctx, kc.contexts.iter().map(|c| c.name.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
        return Err(LiveError::Config(format!(
            "the kubeconfig has no context `{ctx}` ({known}){hint}"
        )));
    }
    let options = KubeConfigOptions {
        context: opts.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| LiveError::Config(format!("the kubeconfig cannot be used: {e}")))?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    Ok(config)
}

/// The innermost cause of an error chain (where "connection refused" is).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    let mut msgs = vec![cur.to_string()];
    while let Some(next) = cur.source() {
        msgs.push(next.to_string());
        cur = next;
    }
    msgs.pop().unwrap_or_default()
}

/// Turns a kube error on `verb` of `what` into a [`LiveError`].
fn classify(e: kube::Error, server: &str, verb: &str, what: &str) -> LiveError {
    match e {
        kube::Error::Api(status) => match status.code {
            401 => LiveError::Unauthorized {
                server: server.to_owned(),
                message: status.message.clone(),
            },
            403 => LiveError::Forbidden {
                verb: verb.to_owned(),
                what: what.to_owned(),
                message: status.message.clone(),
            },
            code => LiveError::Other(format!(
                "the API server at {server} answered {code} to `{verb}` {what}: {}",
                status.message
            )),
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) => LiveError::Unreachable {
            server: server.to_owned(),
            cause: root_cause(&e),
        },
        kube::Error::Auth(_) => LiveError::Config(format!(
            "cannot get credentials for {server}: {}",
            root_cause(&e)
        )),
        other => LiveError::Other(format!(
            "`{verb}` {what} on {server} failed: {}",
            root_cause(&other)
        )),
    }
}

/// A discovered kind: how to address it.
#[derive(Clone)]
struct Kind {
    ar: ApiResource,
    namespaced: bool,
}

/// Resolves kinds through discovery, once each. A kind the server does not serve is
/// `None` (a custom resource whose definition is not installed yet).
struct Kinds {
    cache: HashMap<(String, String, String), Option<Kind>>,
}

impl Kinds {
    async fn get(
        &mut self,
        client: &Client,
        server: &str,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<Kind>, LiveError> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let key = (group.to_owned(), version.to_owned(), kind.to_owned());
        if let Some(k) = self.cache.get(&key) {
            return Ok(k.clone());
        }
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let found = match kube::discovery::pinned_kind(client, &gvk).await {
            Ok((ar, caps)) => Some(Kind {
                ar,
                namespaced: caps.scope == Scope::Namespaced,
            }),
            Err(kube::Error::Api(s)) if s.code == 404 => None,
            Err(kube::Error::Discovery(_)) => None,
            Err(e) => return Err(classify(e, server, "discover", api_version)),
        };
        self.cache.insert(key, found.clone());
        Ok(found)
    }
}

/// `deployments.apps csis/csis-web`.
fn describe(ar: &ApiResource, ns: Option<&str>, name: &str) -> String {
    let resource = if ar.group.is_empty() {
        ar.plural.clone()
    } else {
        format!("{}.{}", ar.plural, ar.group)
    };
    match ns {
        Some(ns) if !name.is_empty() => format!("{resource} `{ns}/{name}`"),
        Some(ns) => format!("{resource} in namespace `{ns}`"),
        None if !name.is_empty() => format!("{resource} `{name}`"),
        None => resource,
    }
}

/// Kinds kiln generates: listed by `--prune` even when the bundle has none of them
/// any more (a removed cron leaves a CronJob behind).
const PRUNE_KINDS: [(&str, &str); 12] = [
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
];

/// The label `--prune` selects by.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

async fn fetch_async(desired: &[Value], opts: &LiveOptions) -> Result<Live, LiveError> {
    let config = config(opts).await?;
    let server = config.cluster_url.to_string();
    let server = server.trim_end_matches('/').to_owned();
    let default_ns = opts
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config).map_err(|e| {
        LiveError::Config(format!(
            "cannot create a client for {server}: {}",
            root_cause(&e)
        ))
    })?;
    let mut kinds = Kinds {
        cache: HashMap::new(),
    };
    let mut live = Live {
        server: server.clone(),
        ..Live::default()
    };
    let mut unserved: BTreeSet<String> = BTreeSet::new();
    for obj in desired {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let api_version = s(obj.get("apiVersion"));
        let kind_name = s(obj.get("kind"));
        let meta = obj.get("metadata");
        let name = s(meta.and_then(|m| m.get("name")));
        if name.is_empty() {
            continue;
        }
        let Some(kind) = kinds
            .get(&client, &server, &api_version, &kind_name)
            .await?
        else {
            unserved.insert(format!("{api_version} {kind_name}"));
            continue;
        };
        let ns = kind.namespaced.then(|| {
            let own = s(meta.and_then(|m| m.get("namespace")));
            if own.is_empty() {
                default_ns.clone()
            } else {
                own
            }
        });
        let url = DynamicObject::url_path(&kind.ar, ns.as_deref());
        let req = kube::core::Request::new(url)
            .get(&name, &GetParams::default())
            .map_err(|e| LiveError::Other(format!("cannot build a request for `{name}`: {e}")))?;
        match client.request::<Value>(req).await {
            Ok(mut v) => {
                fill_type(&mut v, &kind.ar);
                live.objects.push(v);
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => {
                return Err(classify(
                    e,
                    &server,
                    "get",
                    &describe(&kind.ar, ns.as_deref(), &name),
                ));
            }
        }
    }
    for k in &unserved {
        live.notes.push(format!(
            "the cluster does not serve `{k}` (a custom resource whose definition is not installed?): its objects show as added"
        ));
    }
    if opts.prune {
        prune(desired, &client, &server, &mut kinds, &mut live).await?;
    }
    Ok(live)
}

/// Lists objects labelled with the bundle's app instances that the bundle lacks.
/// Objects owned by another object (a CronJob's Jobs, a StatefulSet's claims) are the
/// owner's business and skipped.
async fn prune(
    desired: &[Value],
    client: &Client,
    server: &str,
    kinds: &mut Kinds,
    live: &mut Live,
) -> Result<(), LiveError> {
    let mut apps: BTreeSet<String> = BTreeSet::new();
    let mut namespaces: BTreeSet<String> = BTreeSet::new();
    let mut types: BTreeMap<(String, String), ()> = BTreeMap::new();
    let mut keys: HashSet<ObjectKey> = HashSet::new();
    for obj in desired {
        keys.insert(ObjectKey::of(obj));
        let meta = obj.get("metadata");
        if let Some(app) = meta
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.get(INSTANCE_LABEL))
            .and_then(Value::as_str)
        {
            apps.insert(app.to_owned());
        }
        if let Some(ns) = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            && !ns.is_empty()
        {
            namespaces.insert(ns.to_owned());
        }
        let s = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        types.insert((s("apiVersion"), s("kind")), ());
    }
    for (av, k) in PRUNE_KINDS {
        types.insert((av.to_owned(), k.to_owned()), ());
    }
    if apps.is_empty() {
        return Ok(());
    }
    let selector = format!(
        "{INSTANCE_LABEL} in ({})",
        apps.iter().cloned().collect::<Vec<_>>().join(",")
    );
    let lp = ListParams::default().labels(&selector);
    let fetched: HashSet<ObjectKey> = live.objects.iter().map(ObjectKey::of).collect();
    for (api_version, kind_name) in types.keys() {
        let Some(kind) = kinds.get(client, server, api_version, kind_name).await? else {
            continue;
        };
        let scopes: Vec<Option<&str>> = if kind.namespaced {
            namespaces.iter().map(|n| Some(n.as_str())).collect()
        } else {
            vec![None]
        };
        for ns in scopes {
            let url = DynamicObject::url_path(&kind.ar, ns);
            let req = kube::core::Request::new(url)
                .list(&lp)
                .map_err(|e| LiveError::Other(format!("cannot build a list request: {e}")))?;
            let list = match client.request::<Value>(req).await {
                Ok(v) => v,
                Err(kube::Error::Api(s)) if s.code == 404 => continue,
                Err(e) => return Err(classify(e, server, "list", &describe(&kind.ar, ns, ""))),
            };
            let items = match list.get("items") {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            };
            for mut item in items {
                fill_type(&mut item, &kind.ar);
                let owned = item
                    .get("metadata")
                    .and_then(|m| m.get("ownerReferences"))
                    .and_then(Value::as_array)
                    .is_some_and(|o| !o.is_empty());
                let key = ObjectKey::of(&item);
                if owned || keys.contains(&key) || fetched.contains(&key) {
                    continue;
                }
                live.objects.push(item);
            }
        }
    }
    Ok(())
}

/// Items of a list response carry no `apiVersion`/`kind`; set them from discovery.
fn fill_type(v: &mut Value, ar: &ApiResource) {
    if let Value::Object(m) = v {
        m.entry("apiVersion")
            .or_insert_with(|| Value::from(ar.api_version.clone()));
        m.entry("kind")
            .or_insert_with(|| Value::from(ar.kind.clone()));
    }
}
