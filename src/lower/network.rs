//! Ingress (per service and app-level) and NetworkPolicies: deny ingress by default for
//! the app's pods, then allow what the source declares (the ingress controller to
//! services with an ingress, `talks_to` between the app's pods, the outside world to
//! NodePort/LoadBalancer services); with `restrict_egress`, deny egress but DNS and
//! `talks_to`. Jobs and crons have `talks_to` too: a migration reaches its database.

use super::Cx;
use super::meta::{self, Block};
use super::pod;
use crate::check::model::{App, Ingress, ServiceType, Workload, WorkloadKind};
use crate::diag::{Diagnostic, codes};
use crate::source::Loc;
use k8s_openapi::api::networking::v1 as net;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// The annotation ingress-nginx reads source ranges from.
pub const NGINX_ALLOW: &str = "nginx.ingress.kubernetes.io/whitelist-source-range";
/// The annotation Traefik reads its middlewares from.
pub const TRAEFIK_MIDDLEWARES: &str = "traefik.ingress.kubernetes.io/router.middlewares";

/// What one Ingress object says.
struct IngressSpec<'a> {
    name: String,
    host: &'a str,
    tls: Option<&'a str>,
    allow: &'a [String],
    class: &'a str,
    /// (path, Service name, Service port name).
    paths: Vec<(String, String, String)>,
    loc: Loc,
}

fn ingress(cx: &mut Cx, app: &App, b: &Block, spec: IngressSpec) {
    let mut metadata = meta::object_meta(cx, app, b, spec.name.clone());
    if !spec.allow.is_empty() {
        let annotations = metadata.annotations.get_or_insert_with(BTreeMap::new);
        match spec.class {
            "nginx" => {
                annotations.insert(NGINX_ALLOW.to_owned(), spec.allow.join(","));
            }
            "traefik" => {
                // Traefik enforces source ranges with an `ipAllowList` Middleware that the
                // router references as `{namespace}-{name}@kubernetescrd`.
                let mw = format!("{}-allow", spec.name);
                annotations.insert(
                    TRAEFIK_MIDDLEWARES.to_owned(),
                    format!("{}-{mw}@kubernetescrd", app.namespace),
                );
                let mw_meta = meta::object_meta(cx, app, b, mw);
                let value = serde_json::json!({
                    "apiVersion": "traefik.io/v1alpha1",
                    "kind": "Middleware",
                    "metadata": mw_meta,
                    "spec": { "ipAllowList": { "sourceRange": spec.allow } },
                });
                cx.push_value(&app.name, b.name, value);
            }
            other => {
                cx.diags.push(
                    Diagnostic::new(
                        codes::INGRESS_ALLOW_UNSUPPORTED,
                        spec.loc.file,
                        spec.loc.span,
                        format!("kiln cannot restrict source ranges for ingress class `{other}`"),
                    )
                    .label("`allow` would be ignored by this class")
                    .help("use class `nginx` or `traefik`, or remove `allow` and restrict access in the controller"),
                );
                return;
            }
        }
    }
    let paths = spec
        .paths
        .into_iter()
        .map(|(path, service, port)| net::HTTPIngressPath {
            path: Some(path),
            path_type: "Prefix".to_owned(),
            backend: net::IngressBackend {
                service: Some(net::IngressServiceBackend {
                    name: service,
                    port: Some(net::ServiceBackendPort {
                        name: Some(port),
                        ..Default::default()
                    }),
                }),
                ..Default::default()
            },
        })
        .collect();
    let mut i = net::Ingress {
        metadata,
        spec: Some(net::IngressSpec {
            ingress_class_name: Some(spec.class.to_owned()),
            tls: spec.tls.map(|secret| {
                vec![net::IngressTLS {
                    hosts: Some(vec![spec.host.to_owned()]),
                    secret_name: Some(secret.to_owned()),
                }]
            }),
            rules: Some(vec![net::IngressRule {
                host: Some(spec.host.to_owned()),
                http: Some(net::HTTPIngressRuleValue { paths }),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.push(app, b.name, &mut i);
}

fn main_port(w: &Workload) -> Option<String> {
    w.container.ports.first().map(|p| p.name.clone())
}

/// The Ingress of a `service` with an `ingress { }` block: `{app}-{service}`.
pub fn service_ingress(cx: &mut Cx, app: &App, w: &Workload, b: &Block, ing: &Ingress) {
    let Some(port) = main_port(w) else { return };
    let name = meta::object_name(app, b);
    let spec = IngressSpec {
        name: name.clone(),
        host: &ing.host,
        tls: ing.tls.as_deref(),
        allow: &ing.allow,
        class: &ing.class,
        paths: vec![(ing.path.clone(), name, port)],
        loc: ing.loc,
    };
    ingress(cx, app, b, spec);
}

/// The app-level Ingress `{app}`: one host, paths routed to several services.
pub fn app_ingress(cx: &mut Cx, app: &App) {
    let Some(ing) = &app.ingress else { return };
    let b = Block::app(app);
    let paths = ing
        .routes
        .iter()
        .filter_map(|(path, target)| {
            let w = app.workloads.iter().find(|w| &w.name == target)?;
            Some((
                path.clone(),
                format!("{}-{}", app.name, w.name),
                main_port(w)?,
            ))
        })
        .collect();
    let spec = IngressSpec {
        name: app.name.clone(),
        host: &ing.host,
        tls: ing.tls.as_deref(),
        allow: &ing.allow,
        class: &ing.class,
        paths,
        loc: ing.loc,
    };
    ingress(cx, app, &b, spec);
}

fn ports_of(w: &Workload) -> Option<Vec<net::NetworkPolicyPort>> {
    if w.container.ports.is_empty() {
        return None;
    }
    Some(
        w.container
            .ports
            .iter()
            .map(|p| net::NetworkPolicyPort {
                port: Some(IntOrString::Int(i32::from(p.number))),
                protocol: Some(pod::protocol(p.protocol).to_owned()),
                ..Default::default()
            })
            .collect(),
    )
}

fn pods(cx: &mut Cx, app: &App, w: &Workload) -> net::NetworkPolicyPeer {
    block_pods(cx, app, &super::workload::block(w))
}

/// The pods of a job or cron (selected by the labels its pod template carries).
fn block_pods(cx: &mut Cx, app: &App, b: &Block) -> net::NetworkPolicyPeer {
    net::NetworkPolicyPeer {
        pod_selector: Some(meta::label_selector(meta::of(cx, app, b).selector(cx))),
        ..Default::default()
    }
}

/// Egress under `restrict_egress`: DNS, then each `talks_to` target on its ports.
fn egress_rules(cx: &mut Cx, app: &App, talks_to: &[String]) -> Vec<net::NetworkPolicyEgressRule> {
    let mut rules = vec![dns_egress()];
    for t in talks_to {
        if let Some(target) = app.workloads.iter().find(|o| &o.name == t) {
            rules.push(net::NetworkPolicyEgressRule {
                to: Some(vec![pods(cx, app, target)]),
                ports: ports_of(target),
            });
        }
    }
    rules
}

fn namespace_peer(ns: &str) -> net::NetworkPolicyPeer {
    let mut m = BTreeMap::new();
    m.insert("kubernetes.io/metadata.name".to_owned(), ns.to_owned());
    net::NetworkPolicyPeer {
        namespace_selector: Some(meta::label_selector(m)),
        ..Default::default()
    }
}

fn anywhere() -> Vec<net::NetworkPolicyPeer> {
    ["0.0.0.0/0", "::/0"]
        .into_iter()
        .map(|cidr| net::NetworkPolicyPeer {
            ip_block: Some(net::IPBlock {
                cidr: cidr.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect()
}

/// DNS on port 53, UDP and TCP, to any destination (cluster DNS, node-local caches).
fn dns_egress() -> net::NetworkPolicyEgressRule {
    net::NetworkPolicyEgressRule {
        ports: Some(
            ["UDP", "TCP"]
                .into_iter()
                .map(|proto| net::NetworkPolicyPort {
                    port: Some(IntOrString::Int(53)),
                    protocol: Some(proto.to_owned()),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

fn policy(
    cx: &mut Cx,
    app: &App,
    b: &Block,
    pod_selector: LabelSelector,
    ingress: Option<Vec<net::NetworkPolicyIngressRule>>,
    egress: Option<Vec<net::NetworkPolicyEgressRule>>,
) {
    let mut types = Vec::new();
    if ingress.is_some() {
        types.push("Ingress".to_owned());
    }
    if egress.is_some() {
        types.push("Egress".to_owned());
    }
    let mut p = net::NetworkPolicy {
        metadata: meta::object_meta(cx, app, b, meta::object_name(app, b)),
        spec: Some(net::NetworkPolicySpec {
            pod_selector: Some(pod_selector),
            policy_types: Some(types),
            // An empty rule list (deny everything) is written by leaving the field out.
            ingress: ingress.filter(|r| !r.is_empty()),
            egress: egress.filter(|r| !r.is_empty()),
        }),
    };
    cx.push(app, b.name, &mut p);
}

/// Every NetworkPolicy of an app: `{app}` denies by default, `{app}-{block}` allows.
pub fn policies(cx: &mut Cx, app: &App) {
    let app_block = Block::app(app);
    let all_pods = meta::label_selector(cx.meta.map_of(&[(meta::INSTANCE, &app.name)]));
    policy(
        cx,
        app,
        &app_block,
        all_pods,
        Some(Vec::new()),
        app.restrict_egress.then(Vec::new),
    );
    let routed: Vec<&str> = app
        .ingress
        .iter()
        .flat_map(|i| i.routes.iter().map(|(_, w)| w.as_str()))
        .collect();
    for w in &app.workloads {
        let b = super::workload::block(w);
        let mut ingress = Vec::new();
        if w.ingress.is_some() || routed.contains(&w.name.as_str()) {
            let ports = w.container.ports.first().map(|p| {
                vec![net::NetworkPolicyPort {
                    port: Some(IntOrString::Int(i32::from(p.number))),
                    protocol: Some(pod::protocol(p.protocol).to_owned()),
                    ..Default::default()
                }]
            });
            ingress.push(net::NetworkPolicyIngressRule {
                from: Some(vec![namespace_peer(&app.ingress_namespace)]),
                ports,
            });
        }
        let exposed = w.kind != WorkloadKind::Daemon
            && w.expose
                .as_ref()
                .is_some_and(|e| e.service_type != ServiceType::ClusterIp);
        if exposed {
            ingress.push(net::NetworkPolicyIngressRule {
                from: Some(anywhere()),
                ports: ports_of(w),
            });
        }
        // Workloads first, then jobs, then crons: the order the app declares kinds in
        // the model, so the output is stable.
        let talks = |talks_to: &[String]| talks_to.iter().any(|t| t == &w.name);
        let mut talkers: Vec<net::NetworkPolicyPeer> = Vec::new();
        for o in app.workloads.iter().filter(|o| talks(&o.talks_to)) {
            talkers.push(pods(cx, app, o));
        }
        for j in app.jobs.iter().filter(|j| talks(&j.talks_to)) {
            talkers.push(block_pods(cx, app, &super::job::job_block(j)));
        }
        for c in app.crons.iter().filter(|c| talks(&c.talks_to)) {
            talkers.push(block_pods(cx, app, &super::job::cron_block(c)));
        }
        if !talkers.is_empty() {
            ingress.push(net::NetworkPolicyIngressRule {
                from: Some(talkers),
                ports: ports_of(w),
            });
        }
        let egress = app
            .restrict_egress
            .then(|| egress_rules(cx, app, &w.talks_to));
        if ingress.is_empty() && egress.is_none() {
            continue;
        }
        let selector = meta::label_selector(meta::of(cx, app, &b).selector(cx));
        policy(
            cx,
            app,
            &b,
            selector,
            (!ingress.is_empty()).then_some(ingress),
            egress,
        );
    }
    if app.restrict_egress {
        // Jobs and crons may only resolve names and reach what they talk to.
        let blocks = app
            .jobs
            .iter()
            .map(|j| (super::job::job_block(j), &j.talks_to))
            .chain(
                app.crons
                    .iter()
                    .map(|c| (super::job::cron_block(c), &c.talks_to)),
            );
        for (b, talks_to) in blocks {
            let selector = meta::label_selector(meta::of(cx, app, &b).selector(cx));
            let egress = egress_rules(cx, app, talks_to);
            policy(cx, app, &b, selector, None, Some(egress));
        }
    }
}
