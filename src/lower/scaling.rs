//! HorizontalPodAutoscaler (`autoscale`) and PodDisruptionBudget (replicated workloads).

use super::Cx;
use super::meta::{self, Block};
use crate::check::model::{App, Workload, WorkloadKind};
use k8s_openapi::api::autoscaling::v2 as hpa;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The CPU target when `autoscale` names neither `cpu` nor `memory`.
pub const DEFAULT_CPU_TARGET: u32 = 80;

fn utilization(resource: &str, percent: u32) -> hpa::MetricSpec {
    hpa::MetricSpec {
        type_: "Resource".to_owned(),
        resource: Some(hpa::ResourceMetricSource {
            name: resource.to_owned(),
            target: hpa::MetricTarget {
                type_: "Utilization".to_owned(),
                average_utilization: Some(i32::try_from(percent).unwrap_or(i32::MAX)),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

/// An `autoscaling/v2` HPA on average CPU and/or memory utilisation (of requests).
pub fn autoscaler(cx: &mut Cx, app: &App, w: &Workload, b: &Block, name: &str) {
    let Some(a) = &w.autoscale else { return };
    let mut metrics = Vec::new();
    if let Some(c) = a.cpu {
        metrics.push(utilization("cpu", c));
    }
    if let Some(m) = a.memory {
        metrics.push(utilization("memory", m));
    }
    if metrics.is_empty() {
        metrics.push(utilization("cpu", DEFAULT_CPU_TARGET));
    }
    let kind = if w.kind == WorkloadKind::Stateful {
        "StatefulSet"
    } else {
        "Deployment"
    };
    let mut h = hpa::HorizontalPodAutoscaler {
        metadata: meta::object_meta(cx, app, b, name.to_owned()),
        spec: hpa::HorizontalPodAutoscalerSpec {
            scale_target_ref: hpa::CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: kind.to_owned(),
                name: name.to_owned(),
            },
            min_replicas: Some(i32::try_from(a.min).unwrap_or(i32::MAX)),
            max_replicas: i32::try_from(a.max).unwrap_or(i32::MAX),
            metrics: Some(metrics),
            ..Default::default()
        },
        ..Default::default()
    };
    cx.push(app, &w.name, &mut h);
}

/// A PDB allowing one pod at a time to be evicted, for workloads with ≥ 2 replicas: a
/// node drain then never takes the whole workload down, and never blocks forever.
pub fn disruption_budget(cx: &mut Cx, app: &App, w: &Workload, b: &Block, name: &str, min: u32) {
    if min < 2 {
        return;
    }
    let m = meta::of(cx, app, b);
    let mut p = policy::PodDisruptionBudget {
        metadata: m.object_meta(cx, app, name.to_owned()),
        spec: Some(policy::PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(meta::label_selector(m.selector(cx))),
            // A crash-looping pod must not block a node drain.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.push(app, &w.name, &mut p);
}
