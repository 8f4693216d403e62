//! Long-running workloads: `service` → Deployment + Service, `worker` → Deployment,
//! `stateful` → StatefulSet + headless Service + claim templates, `daemon` → DaemonSet;
//! then their autoscaler, disruption budget and ingress.

use super::meta::{self, Block};
use super::pod::{self, PodIn};
use super::{Cx, network, scaling};
use crate::check::model::{App, ServiceType, Workload, WorkloadKind};
use crate::diag::{Diagnostic, codes};
use crate::source::Loc;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// How many old ReplicaSets / revisions are kept for `kubectl rollout undo`.
pub const REVISION_HISTORY: i32 = 5;
/// Kubernetes' limit on label values, which carry object names.
pub const LABEL_MAX: usize = 63;
/// StatefulSet and CronJob names: the controller appends a suffix and must stay ≤ 63.
pub const SUFFIXED_MAX: usize = 52;

/// The block metadata of a workload.
pub fn block(w: &Workload) -> Block<'_> {
    Block {
        name: &w.name,
        labels: &w.labels,
        annotations: &w.annotations,
    }
}

/// The replicas a workload runs with when nothing scales it: services 2 (one pod can
/// be drained or crash without downtime), everything else 1.
pub fn default_replicas(kind: WorkloadKind) -> u32 {
    match kind {
        WorkloadKind::Service => 2,
        _ => 1,
    }
}

/// The fewest replicas the workload runs (the autoscaler's minimum if it scales).
pub fn min_replicas(w: &Workload) -> u32 {
    match (&w.autoscale, w.replicas) {
        (Some(a), _) => a.min,
        (None, Some(r)) => r,
        (None, None) => default_replicas(w.kind),
    }
}

/// Reports a generated name longer than a Kubernetes limit.
pub fn check_name(cx: &mut Cx, name: &str, max: usize, what: &str, loc: Loc) -> bool {
    if name.len() <= max {
        return true;
    }
    cx.diags.push(
        Diagnostic::new(
            codes::NAME_TOO_LONG,
            loc.file,
            loc.span,
            format!(
                "the generated {what} name `{name}` is {} characters long, more than {max}",
                name.len()
            ),
        )
        .label(format!("generates `{name}`"))
        .help("shorten the app or block name"),
    );
    false
}

fn i32_of(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Lowers one workload and everything around it.
pub fn lower(cx: &mut Cx, app: &App, w: &Workload, app_cm: Option<&str>) {
    let b = block(w);
    let name = meta::object_name(app, &b);
    let min = min_replicas(w);
    let replicated = w.kind != WorkloadKind::Daemon;
    let spread = replicated
        && w.scheduling
            .spread
            .unwrap_or(min > 1 || w.autoscale.is_some());
    if w.kind == WorkloadKind::Stateful {
        check_name(cx, &name, SUFFIXED_MAX, "StatefulSet", w.loc);
    }
    // The previous app's Deployment, refilled in place (`meta::Spares`); a StatefulSet
    // or DaemonSet takes the template out of it.
    let mut spare = cx.meta.spares.deployment.take().unwrap_or_default();
    let pod = pod::pod(
        cx,
        &PodIn {
            app,
            block: b,
            main: &w.container,
            sidecars: &w.sidecars,
            init: &w.init,
            volumes: &w.volumes,
            scheduling: &w.scheduling,
            grace: w.termination_grace,
            app_cm,
            job: false,
            spread,
            stateful: w.kind == WorkloadKind::Stateful,
            daemon: w.kind == WorkloadKind::Daemon,
        },
        &mut spare.spec.template,
    );
    let selector = meta::label_selector(meta::of(cx, app, &b).selector(cx));
    // With an autoscaler, `replicas` is left out so `kubectl apply` does not reset the
    // count the autoscaler chose.
    let replicas = if w.autoscale.is_some() {
        None
    } else {
        Some(i32_of(w.replicas.unwrap_or(default_replicas(w.kind))))
    };

    services(cx, app, w, &b, &name);
    match w.kind {
        WorkloadKind::Service | WorkloadKind::Worker => {
            // `Some(true)`: replace pods; `Some(false)`: a rolling update that never has
            // fewer ready pods than asked; `None`: the API's default.
            let recreate = if pod.owns_claim {
                if w.autoscale.is_some() || min > 1 {
                    cx.diags.push(
                        Diagnostic::new(
                            codes::SHARED_CLAIM,
                            w.loc.file,
                            w.loc.span,
                            format!(
                                "`{}` runs several replicas that share one ReadWriteOnce volume claim",
                                w.name
                            ),
                        )
                        .label("several replicas, one claim")
                        .help("use a `stateful` block, one replica, or an existing ReadWriteMany claim"),
                    );
                }
                // A ReadWriteOnce claim cannot be attached to the new pod while the old
                // one holds it: replace pods instead of surging.
                Some(true)
            } else if w.kind == WorkloadKind::Service {
                Some(false)
            } else {
                None
            };
            let m = meta::of(cx, app, &b);
            let apps::Deployment {
                metadata,
                spec,
                status: _,
            } = &mut *spare;
            meta::fill_object_meta(&m, cx, app, name.clone(), metadata);
            let apps::DeploymentSpec {
                min_ready_seconds: _,
                paused: _,
                progress_deadline_seconds: _,
                replicas: to_replicas,
                revision_history_limit,
                selector: to_selector,
                strategy,
                template: _,
            } = spec;
            *to_replicas = replicas;
            *revision_history_limit = Some(REVISION_HISTORY);
            *to_selector = selector;
            set_strategy(strategy, recreate);
            cx.push(app, &w.name, &mut *spare);
        }
        WorkloadKind::Stateful => {
            let mut s = apps::StatefulSet {
                metadata: meta::object_meta(cx, app, &b, name.clone()),
                spec: apps::StatefulSetSpec {
                    replicas,
                    revision_history_limit: Some(REVISION_HISTORY),
                    selector,
                    service_name: Some(name.clone()),
                    template: std::mem::take(&mut spare.spec.template),
                    volume_claim_templates: (!pod.claim_templates.is_empty())
                        .then_some(pod.claim_templates),
                    ..Default::default()
                },
                ..Default::default()
            };
            cx.push(app, &w.name, &mut s);
        }
        WorkloadKind::Daemon => {
            let mut d = apps::DaemonSet {
                metadata: meta::object_meta(cx, app, &b, name.clone()),
                spec: apps::DaemonSetSpec {
                    revision_history_limit: Some(REVISION_HISTORY),
                    selector,
                    template: std::mem::take(&mut spare.spec.template),
                    ..Default::default()
                },
                ..Default::default()
            };
            cx.push(app, &w.name, &mut d);
        }
    }
    cx.meta.spares.deployment = Some(spare);
    if replicated {
        scaling::autoscaler(cx, app, w, &b, &name);
        scaling::disruption_budget(cx, app, w, &b, &name, min);
    }
    if let Some(ing) = &w.ingress {
        network::service_ingress(cx, app, w, &b, ing);
    }
}

/// Sets a Deployment's strategy: `Some(true)` Recreate, `Some(false)` a rolling update
/// with a 25 % surge and no unavailable pod, `None` none (in place: `strategy` may be
/// the previous app's).
fn set_strategy(strategy: &mut Option<apps::DeploymentStrategy>, recreate: Option<bool>) {
    let Some(recreate) = recreate else {
        *strategy = None;
        return;
    };
    let apps::DeploymentStrategy {
        rolling_update,
        type_,
    } = strategy.get_or_insert_with(Default::default);
    if recreate {
        pod::set_str(type_, "Recreate");
        *rolling_update = None;
        return;
    }
    pod::set_str(type_, "RollingUpdate");
    let apps::RollingUpdateDeployment {
        max_surge,
        max_unavailable,
    } = rolling_update.get_or_insert_with(Default::default);
    match max_surge {
        Some(IntOrString::String(s)) => pod::set_string(s, "25%"),
        _ => *max_surge = Some(IntOrString::String("25%".to_owned())),
    }
    *max_unavailable = Some(IntOrString::Int(0));
}

fn service_ports(w: &Workload, with_node_port: bool) -> Vec<core::ServicePort> {
    let expose = w.expose.as_ref();
    w.container
        .ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let main = i == 0;
            let port = if main {
                expose.and_then(|e| e.port).unwrap_or(p.number)
            } else {
                p.number
            };
            core::ServicePort {
                name: Some(p.name.clone()),
                port: i32::from(port),
                target_port: Some(IntOrString::String(p.name.clone())),
                protocol: Some(pod::protocol(p.protocol).to_owned()),
                node_port: if main && with_node_port {
                    expose.and_then(|e| e.node_port).map(i32::from)
                } else {
                    None
                },
                ..Default::default()
            }
        })
        .collect()
}

fn service_type(t: ServiceType) -> &'static str {
    match t {
        ServiceType::ClusterIp => "ClusterIP",
        ServiceType::NodePort => "NodePort",
        ServiceType::LoadBalancer => "LoadBalancer",
    }
}

/// The Services in front of a workload: services get one of their type; stateful sets a
/// headless one (stable pod DNS names) and, when exposed outside, a second one.
fn services(cx: &mut Cx, app: &App, w: &Workload, b: &Block, name: &str) {
    if w.container.ports.is_empty() {
        return;
    }
    let t = w
        .expose
        .as_ref()
        .map_or(ServiceType::ClusterIp, |e| e.service_type);
    let m = meta::of(cx, app, b);
    let make = |cx: &mut Cx, name: String, t: ServiceType, headless: bool| core::Service {
        metadata: m.object_meta(cx, app, name),
        spec: Some(core::ServiceSpec {
            type_: Some(service_type(t).to_owned()),
            cluster_ip: headless.then(|| "None".to_owned()),
            selector: Some(m.selector(cx)),
            ports: Some(service_ports(w, t != ServiceType::ClusterIp)),
            ..Default::default()
        }),
        ..Default::default()
    };
    match w.kind {
        WorkloadKind::Service => {
            let mut s = make(cx, name.to_owned(), t, false);
            cx.push(app, &w.name, &mut s);
        }
        WorkloadKind::Stateful => {
            let mut s = make(cx, name.to_owned(), ServiceType::ClusterIp, true);
            cx.push(app, &w.name, &mut s);
            if t != ServiceType::ClusterIp {
                let ext = format!("{name}-external");
                if check_name(cx, &ext, LABEL_MAX, "Service", w.loc) {
                    let mut s = make(cx, ext, t, false);
                    cx.push(app, &w.name, &mut s);
                }
            }
        }
        WorkloadKind::Worker | WorkloadKind::Daemon => {}
    }
}
