//! Order: the apply order of a bundle (and, later, release phases and deploy-tool
//! annotations).
//!
//! Objects are applied kind group by kind group, so that everything an object refers
//! to exists before it: the Namespace first, then who may act (ServiceAccount, RBAC),
//! what pods read (ConfigMaps, claims), the NetworkPolicies (so no pod ever starts
//! unprotected), Services, workloads, what acts on workloads (HPA, PDB), Ingress, and
//! Jobs/CronJobs last. Inside a group, generation order is kept (apps in source order,
//! blocks in source order), so the order is stable. Release phases (jobs before
//! workloads) build on [`crate::lower::Object::run`] in the ordering issue.

use crate::lower::Object;

/// The apply-order groups, by rank: (rank, file-name stem).
const GROUPS: [&str; 12] = [
    "namespace",
    "definitions",
    "access",
    "config",
    "storage",
    "network-policies",
    "services",
    "resources",
    "workloads",
    "scaling",
    "ingress",
    "jobs",
];

/// The apply-order rank of a kind (0 first). Unknown kinds (custom resources) come
/// after Services and before workloads, so a workload's companion resources (a
/// BackendConfig, a Traefik Middleware) exist when it starts.
pub fn rank(kind: &str) -> usize {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" | "PriorityClass" | "StorageClass" | "IngressClass" => 1,
        "ServiceAccount" | "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => 2,
        "ConfigMap" | "Secret" => 3,
        "PersistentVolumeClaim" | "PersistentVolume" => 4,
        "NetworkPolicy" => 5,
        "Service" => 6,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" => 8,
        "HorizontalPodAutoscaler" | "PodDisruptionBudget" => 9,
        "Ingress" => 10,
        "Job" | "CronJob" => 11,
        _ => 7,
    }
}

/// The file-name stem of a rank's group (`services`), used by the bundle writer.
pub fn group_name(rank: usize) -> &'static str {
    GROUPS.get(rank).copied().unwrap_or("resources")
}

/// Sorts objects into apply order, stably.
pub fn sort(objects: &mut [Object]) {
    objects.sort_by_cached_key(|o| rank(&o.kind));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(kind: &str, name: &str) -> Object {
        Object::from_value(
            "a",
            "",
            json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
        )
    }

    #[test]
    fn apply_order_is_by_group_and_stable() {
        let mut v = vec![
            obj("Job", "j"),
            obj("Deployment", "d1"),
            obj("Service", "s"),
            obj("ConfigMap", "c"),
            obj("Deployment", "d2"),
            obj("Namespace", "n"),
            obj("NetworkPolicy", "p"),
            obj("Ingress", "i"),
            obj("ServiceAccount", "sa"),
            obj("PodDisruptionBudget", "pdb"),
            obj("PersistentVolumeClaim", "pvc"),
            obj("BackendConfig", "bc"),
        ];
        sort(&mut v);
        let names: Vec<&str> = v.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "n", "sa", "c", "pvc", "p", "s", "bc", "d1", "d2", "pdb", "i", "j"
            ]
        );
    }
}
