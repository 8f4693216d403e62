//! Pod templates: containers (image, command, ports, env, resources, probes), the
//! security context defaults, volumes and mounts, scheduling.

use super::Cx;
use super::env;
use super::meta::{self, Block, PssLevel};
use crate::check::model::{
    App, Container, Duration, Probe, ProbeCheck, Protocol, Scheduling, Security, Volume,
    VolumeSource,
};
use crate::diag::{Diagnostic, codes};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Default UID, GID and fsGroup: high enough not to collide with a host user
/// (checkov CKV_K8S_40 wants ≥ 10000).
pub const DEFAULT_ID: i64 = 10001;
/// The emptyDir kiln mounts at /tmp when the root filesystem is read-only.
pub const TMP_VOLUME: &str = "kiln-tmp";

/// Default resources of a main container: (cpu request, cpu limit, memory request,
/// memory limit).
const MAIN_RESOURCES: (&str, &str, &str, &str) = ("100m", "1", "256Mi", "256Mi");
/// Default resources of sidecar and init containers.
const SMALL_RESOURCES: (&str, &str, &str, &str) = ("50m", "250m", "128Mi", "128Mi");

/// Capabilities Pod Security "baseline" allows to add.
const BASELINE_CAPS: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The app's security settings overlaid with a container's: a relaxation in either
/// applies; an explicit id in the container wins.
pub fn merged(app: &Security, c: &Security) -> Security {
    let mut caps = app.add_capabilities.clone();
    for cap in &c.add_capabilities {
        if !caps.contains(cap) {
            caps.push(cap.clone());
        }
    }
    Security {
        run_as_root: app.run_as_root || c.run_as_root,
        run_as_user: c.run_as_user.or(app.run_as_user),
        run_as_group: c.run_as_group.or(app.run_as_group),
        fs_group: c.fs_group.or(app.fs_group),
        writable_root: app.writable_root || c.writable_root,
        add_capabilities: caps,
        privileged: app.privileged || c.privileged,
        privilege_escalation: app.privilege_escalation || c.privilege_escalation,
        service_account_token: app.service_account_token || c.service_account_token,
        mutable_tag: app.mutable_tag || c.mutable_tag,
    }
}

fn cap_name(c: &str) -> &str {
    c.strip_prefix("CAP_").unwrap_or(c)
}

/// The Pod Security Standards level one container's settings meet.
fn container_level(s: &Security) -> PssLevel {
    if s.privileged
        || s.add_capabilities
            .iter()
            .any(|c| !BASELINE_CAPS.contains(&cap_name(c)))
    {
        return PssLevel::Privileged;
    }
    if s.run_as_root
        || s.run_as_user == Some(0)
        || s.privilege_escalation
        || s.add_capabilities
            .iter()
            .any(|c| cap_name(c) != "NET_BIND_SERVICE")
    {
        return PssLevel::Baseline;
    }
    PssLevel::Restricted
}

/// The strictest Pod Security Standards level every pod of the app meets.
pub fn pss_level(app: &App) -> PssLevel {
    let mut level = PssLevel::Restricted;
    let mut see = |c: &Container, volumes: &[Volume]| {
        level = level.min(container_level(&merged(&app.security, &c.security)));
        if volumes
            .iter()
            .any(|v| matches!(v.source, VolumeSource::HostPath(_)))
        {
            level = PssLevel::Privileged;
        }
    };
    for w in &app.workloads {
        see(&w.container, &w.volumes);
        for c in w.sidecars.iter().chain(&w.init) {
            see(c, &[]);
        }
    }
    for j in &app.jobs {
        see(&j.container, &j.volumes);
    }
    for c in &app.crons {
        see(&c.container, &c.volumes);
    }
    level
}

/// Everything a pod template is built from.
pub struct PodIn<'a> {
    /// The app.
    pub app: &'a App,
    /// The block (names, labels).
    pub block: Block<'a>,
    /// The main container.
    pub main: &'a Container,
    /// Sidecars (native: init containers with `restartPolicy: Always`).
    pub sidecars: &'a [Container],
    /// Init containers, in order.
    pub init: &'a [Container],
    /// The block's volumes.
    pub volumes: &'a [Volume],
    /// Node selection.
    pub scheduling: &'a Scheduling,
    /// `terminationGracePeriodSeconds`.
    pub grace: Option<Duration>,
    /// The app's env ConfigMap.
    pub app_cm: Option<&'a str>,
    /// Jobs: `restartPolicy: Never`, no probes required.
    pub job: bool,
    /// Spread replicas across nodes.
    pub spread: bool,
    /// StatefulSet: `size` volumes become claim templates, not PVCs.
    pub stateful: bool,
    /// DaemonSet: Linux nodes only unless a node selector says otherwise.
    pub daemon: bool,
}

/// A pod template and what was generated next to it.
pub struct PodOut {
    /// The template.
    pub template: core::PodTemplateSpec,
    /// StatefulSet claim templates.
    pub claim_templates: Vec<core::PersistentVolumeClaim>,
    /// Whether a PersistentVolumeClaim kiln created is mounted (ReadWriteOnce).
    pub owns_claim: bool,
}

fn quantity(s: &str) -> Quantity {
    Quantity(s.to_owned())
}

fn resources(
    cx: &mut Cx,
    c: &Container,
    defaults: (&str, &str, &str, &str),
) -> core::ResourceRequirements {
    let (cpu_req, cpu_lim) = c
        .cpu
        .as_ref()
        .map_or((defaults.0, defaults.1), |r| (&r.min.text, &r.max.text));
    let (mem_req, mem_lim) = c
        .memory
        .as_ref()
        .map_or((defaults.2, defaults.3), |r| (&r.min.text, &r.max.text));
    core::ResourceRequirements {
        requests: Some(cx.meta.cpu_memory(cpu_req, mem_req)),
        limits: Some(cx.meta.cpu_memory(cpu_lim, mem_lim)),
        ..Default::default()
    }
}

/// Probe timings kiln uses when `health` says nothing: (initialDelay, period, timeout,
/// failureThreshold).
fn probe_defaults(kind: ProbeKind, has_startup: bool) -> (i32, i32, i32, i32) {
    match kind {
        ProbeKind::Readiness => (0, 10, 3, 3),
        // Without a startup probe, give the process time to boot before liveness can
        // restart it; with one, liveness only starts once startup succeeded.
        ProbeKind::Liveness if has_startup => (0, 10, 3, 3),
        ProbeKind::Liveness => (30, 10, 3, 3),
        // Up to 5 minutes to start (30 × 10 s).
        ProbeKind::Startup => (0, 10, 3, 30),
    }
}

#[derive(Clone, Copy)]
enum ProbeKind {
    Readiness,
    Liveness,
    Startup,
}

fn secs(d: Duration) -> i32 {
    i32::try_from(d.secs).unwrap_or(i32::MAX)
}

fn probe(
    cx: &mut Cx,
    c: &Container,
    p: &Probe,
    kind: ProbeKind,
    has_startup: bool,
) -> Option<core::Probe> {
    let first_port = c.ports.first();
    let port = |explicit: Option<u16>, cx: &mut Cx| -> Option<IntOrString> {
        match (explicit, first_port) {
            (Some(n), _) => Some(IntOrString::Int(i32::from(n))),
            (None, Some(p)) => Some(IntOrString::String(p.name.clone())),
            // Readiness and liveness usually share one check: say it once.
            (None, None)
                if cx
                    .diags
                    .iter()
                    .any(|d| d.code == codes::PROBE_WITHOUT_PORT && d.primary.loc == c.loc) =>
            {
                None
            }
            (None, None) => {
                cx.diags.push(
                    Diagnostic::new(
                        codes::PROBE_WITHOUT_PORT,
                        c.loc.file,
                        c.loc.span,
                        format!("the probe of `{}` has no port to check", c.name),
                    )
                    .label("no `port` here")
                    .help("name the port in the probe (`tcp(6379)`), declare `port`, or use `exec([..])`"),
                );
                None
            }
        }
    };
    let (delay, period, timeout, failures) = probe_defaults(kind, has_startup);
    let mut out = core::Probe {
        initial_delay_seconds: Some(p.initial_delay.map_or(delay, secs)),
        period_seconds: Some(p.period.map_or(period, secs)),
        timeout_seconds: Some(p.timeout.map_or(timeout, secs)),
        failure_threshold: Some(
            p.failure_threshold
                .map_or(failures, |f| i32::try_from(f).unwrap_or(i32::MAX)),
        ),
        ..Default::default()
    };
    match &p.check {
        ProbeCheck::Http { path, port: n } => {
            out.http_get = Some(core::HTTPGetAction {
                path: Some(path.clone()),
                port: port(*n, cx)?,
                ..Default::default()
            });
        }
        ProbeCheck::Tcp { port: n } => {
            out.tcp_socket = Some(core::TCPSocketAction {
                port: port(*n, cx)?,
                ..Default::default()
            });
        }
        ProbeCheck::Exec { command } => {
            out.exec = Some(core::ExecAction {
                command: Some(command.clone()),
            });
        }
    }
    Some(out)
}

/// The identity (non-root, uid, gid) a security setting asks for.
fn identity(s: &Security) -> (bool, Option<i64>, Option<i64>) {
    if s.run_as_root {
        (false, s.run_as_user, s.run_as_group)
    } else {
        (
            true,
            Some(s.run_as_user.unwrap_or(DEFAULT_ID)),
            Some(s.run_as_group.unwrap_or(DEFAULT_ID)),
        )
    }
}

fn pod_security(s: &Security) -> core::PodSecurityContext {
    let (non_root, user, group) = identity(s);
    core::PodSecurityContext {
        run_as_non_root: Some(non_root),
        run_as_user: user,
        // Root keeps the image's group unless one is given.
        run_as_group: group,
        fs_group: Some(s.fs_group.unwrap_or(DEFAULT_ID)),
        seccomp_profile: Some(core::SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn container_security(s: &Security, pod: &Security) -> core::SecurityContext {
    let mut out = core::SecurityContext {
        // The API rejects `privileged: true` with `allowPrivilegeEscalation: false`.
        allow_privilege_escalation: Some(s.privilege_escalation || s.privileged),
        privileged: Some(s.privileged),
        read_only_root_filesystem: Some(!s.writable_root),
        capabilities: Some(core::Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            add: (!s.add_capabilities.is_empty()).then(|| s.add_capabilities.clone()),
        }),
        ..Default::default()
    };
    // A sidecar or init container that runs as someone else than the pod says.
    let (non_root, user, group) = identity(s);
    let (pod_non_root, pod_user, pod_group) = identity(pod);
    if (non_root, user, group) != (pod_non_root, pod_user, pod_group) {
        out.run_as_non_root = Some(non_root);
        out.run_as_user = user;
        out.run_as_group = group;
    }
    out
}

fn ports(c: &Container) -> Option<Vec<core::ContainerPort>> {
    if c.ports.is_empty() {
        return None;
    }
    Some(
        c.ports
            .iter()
            .map(|p| core::ContainerPort {
                name: Some(p.name.clone()),
                container_port: i32::from(p.number),
                protocol: Some(protocol(p.protocol).to_owned()),
                ..Default::default()
            })
            .collect(),
    )
}

/// `TCP` or `UDP`.
pub fn protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
    }
}

/// Which of a block's containers this is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Sidecar,
    Init,
}

/// Builds the pod template of a block, pushing the ConfigMaps and claims it needs.
pub fn pod(cx: &mut Cx, p: &PodIn) -> PodOut {
    let app = p.app;
    let base = meta::object_name(app, &p.block);
    let pod_sec = merged(&app.security, &p.main.security);

    // Volumes first: containers mount them by name.
    let mut volumes: Vec<core::Volume> = Vec::new();
    let mut claim_templates = Vec::new();
    let mut owns_claim = false;
    for v in p.volumes {
        let mut vol = core::Volume {
            name: v.name.clone(),
            ..Default::default()
        };
        match &v.source {
            VolumeSource::EmptyDir { size } => {
                vol.empty_dir = Some(core::EmptyDirVolumeSource {
                    size_limit: size.as_ref().map(|m| quantity(&m.text)),
                    ..Default::default()
                });
            }
            VolumeSource::Claim {
                size,
                storage_class,
            } => {
                if p.stateful {
                    claim_templates.push(claim(
                        cx,
                        app,
                        &p.block,
                        v.name.clone(),
                        &size.text,
                        storage_class,
                        true,
                    ));
                    continue;
                }
                let name = format!("{base}-{}", v.name);
                let mut pvc = claim(
                    cx,
                    app,
                    &p.block,
                    name.clone(),
                    &size.text,
                    storage_class,
                    false,
                );
                cx.push(app, p.block.name, &mut pvc);
                owns_claim = true;
                vol.persistent_volume_claim = Some(core::PersistentVolumeClaimVolumeSource {
                    claim_name: name,
                    ..Default::default()
                });
            }
            VolumeSource::ExistingClaim(name) => {
                vol.persistent_volume_claim = Some(core::PersistentVolumeClaimVolumeSource {
                    claim_name: name.clone(),
                    ..Default::default()
                });
            }
            VolumeSource::Secret(name) => {
                vol.secret = Some(core::SecretVolumeSource {
                    secret_name: Some(name.clone()),
                    ..Default::default()
                });
            }
            VolumeSource::ConfigMap(name) => {
                vol.config_map = Some(core::ConfigMapVolumeSource {
                    name: name.clone(),
                    ..Default::default()
                });
            }
            VolumeSource::Files(files) => {
                let data = files
                    .iter()
                    .map(|f| (f.name.clone(), f.content.clone()))
                    .collect();
                let what = format!("the files of volume `{}`", v.name);
                let source = env::DataSource {
                    loc: v.loc,
                    what: &what,
                };
                let name = env::hashed_config_map(
                    cx,
                    app,
                    &p.block,
                    &format!("{base}-{}", v.name),
                    data,
                    source,
                );
                vol.config_map = Some(core::ConfigMapVolumeSource {
                    name,
                    ..Default::default()
                });
            }
            VolumeSource::HostPath(path) => {
                vol.host_path = Some(core::HostPathVolumeSource {
                    path: path.clone(),
                    ..Default::default()
                });
            }
        }
        volumes.push(vol);
    }

    let mut needs_tmp = false;
    let mut build = |cx: &mut Cx, c: &Container, role: Role| -> core::Container {
        let sec = merged(&app.security, &c.security);
        // The name of the container's own env ConfigMap, before its hash.
        let cm_base: &[&str] = match role {
            Role::Main => &[&base, "-env"],
            _ => &[&base, "-", &c.name, "-env"],
        };
        let env = env::container_env(cx, app, &p.block, c, p.app_cm, cm_base);
        let image = c.image.as_ref().unwrap_or(&app.image);
        let mut mounts: Vec<core::VolumeMount> = p
            .volumes
            .iter()
            .filter(|v| role == Role::Main || c.mounts.contains(&v.name))
            .map(|v| core::VolumeMount {
                name: v.name.clone(),
                mount_path: v.mount.clone(),
                read_only: (v.read_only || read_only_source(&v.source)).then_some(true),
                ..Default::default()
            })
            .collect();
        if !sec.writable_root && !mounts.iter().any(|m| m.mount_path == "/tmp") {
            needs_tmp = true;
            mounts.push(core::VolumeMount {
                name: TMP_VOLUME.to_owned(),
                mount_path: "/tmp".to_owned(),
                ..Default::default()
            });
        }
        let defaults = if role == Role::Main {
            MAIN_RESOURCES
        } else {
            SMALL_RESOURCES
        };
        let mut out = core::Container {
            name: c.name.clone(),
            image: Some(image.reference.clone()),
            // Always: a pod never starts from a cached image its pull secret would not
            // allow, and a re-pushed tag is noticed (checkov CKV_K8S_15).
            image_pull_policy: Some("Always".to_owned()),
            command: (!c.command.is_empty()).then(|| c.command.clone()),
            args: (!c.args.is_empty()).then(|| c.args.clone()),
            ports: ports(c),
            env: (!env.env.is_empty()).then_some(env.env),
            env_from: (!env.env_from.is_empty()).then_some(env.env_from),
            resources: Some(resources(cx, c, defaults)),
            security_context: Some(container_security(&sec, &pod_sec)),
            volume_mounts: (!mounts.is_empty()).then_some(mounts),
            restart_policy: (role == Role::Sidecar).then(|| "Always".to_owned()),
            ..Default::default()
        };
        // Init containers cannot have probes; native sidecars and main containers can.
        if role != Role::Init
            && let Some(h) = &c.health
        {
            let has_startup = h.startup.is_some();
            out.readiness_probe = probe(cx, c, &h.readiness, ProbeKind::Readiness, has_startup);
            out.liveness_probe = h
                .liveness
                .as_ref()
                .and_then(|l| probe(cx, c, l, ProbeKind::Liveness, has_startup));
            out.startup_probe = h
                .startup
                .as_ref()
                .and_then(|s| probe(cx, c, s, ProbeKind::Startup, has_startup));
        }
        out
    };

    let main = build(cx, p.main, Role::Main);
    // Init containers run first, in order; native sidecars start after them and keep
    // running next to the main container (and do not keep a Job from completing).
    let mut init: Vec<core::Container> = Vec::new();
    for c in p.init {
        init.push(build(cx, c, Role::Init));
    }
    for c in p.sidecars {
        init.push(build(cx, c, Role::Sidecar));
    }
    if needs_tmp {
        volumes.push(core::Volume {
            name: TMP_VOLUME.to_owned(),
            empty_dir: Some(core::EmptyDirVolumeSource::default()),
            ..Default::default()
        });
    }

    let m = meta::of(cx, app, &p.block);
    let mut node_selector: BTreeMap<String, String> = p
        .scheduling
        .node_selector
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if p.daemon && node_selector.is_empty() {
        node_selector.insert("kubernetes.io/os".to_owned(), "linux".to_owned());
    }
    let tolerations: Vec<core::Toleration> = p
        .scheduling
        .tolerations
        .iter()
        .map(|t| core::Toleration {
            key: t.key.clone(),
            operator: Some(if t.value.is_some() { "Equal" } else { "Exists" }.to_owned()),
            value: t.value.clone(),
            effect: t.effect.clone(),
            ..Default::default()
        })
        .collect();
    let affinity = p.spread.then(|| core::Affinity {
        pod_anti_affinity: Some(core::PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                core::WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: core::PodAffinityTerm {
                        label_selector: Some(meta::label_selector(m.selector(cx))),
                        topology_key: "kubernetes.io/hostname".to_owned(),
                        ..Default::default()
                    },
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    });

    let spec = core::PodSpec {
        service_account_name: Some(app.name.clone()),
        automount_service_account_token: Some(pod_sec.service_account_token),
        // Service links inject one env var per Service of the namespace: noise, and a
        // classic source of clashes (`REDIS_PORT=tcp://...`).
        enable_service_links: Some(false),
        security_context: Some(pod_security(&pod_sec)),
        image_pull_secrets: (!app.pull_secrets.is_empty()).then(|| {
            app.pull_secrets
                .iter()
                .map(|s| core::LocalObjectReference { name: s.clone() })
                .collect()
        }),
        init_containers: (!init.is_empty()).then_some(init),
        containers: vec![main],
        volumes: (!volumes.is_empty()).then_some(volumes),
        node_selector: (!node_selector.is_empty()).then_some(node_selector),
        tolerations: (!tolerations.is_empty()).then_some(tolerations),
        affinity,
        restart_policy: p.job.then(|| "Never".to_owned()),
        termination_grace_period_seconds: Some(
            p.grace
                .map_or(30, |d| i64::try_from(d.secs).unwrap_or(i64::MAX)),
        ),
        ..Default::default()
    };
    PodOut {
        template: core::PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(m.labels(cx)),
                annotations: m.annotations(),
                ..Default::default()
            }),
            spec: Some(spec),
        },
        claim_templates,
        owns_claim,
    }
}

/// Secret and ConfigMap volumes are mounted read-only: a container never needs to write
/// into them. A host path follows `read_only` (a log shipper may keep its read positions
/// next to the logs), which the checker reports as a relaxation either way.
fn read_only_source(s: &VolumeSource) -> bool {
    matches!(
        s,
        VolumeSource::Secret(_) | VolumeSource::ConfigMap(_) | VolumeSource::Files(_)
    )
}

/// A ReadWriteOnce claim. Claim templates carry only labels that never change: a
/// StatefulSet's `volumeClaimTemplates` cannot be updated.
fn claim(
    cx: &mut Cx,
    app: &App,
    block: &Block,
    name: String,
    size: &str,
    storage_class: &Option<String>,
    template: bool,
) -> core::PersistentVolumeClaim {
    let mut requests = BTreeMap::new();
    requests.insert("storage".to_owned(), quantity(size));
    let metadata = if template {
        let mut labels = meta::of(cx, app, block).selector(cx);
        labels.insert(meta::PART_OF.to_owned(), app.name.clone());
        labels.insert(meta::MANAGED_BY.to_owned(), "kiln".to_owned());
        ObjectMeta {
            name: Some(name),
            labels: Some(labels),
            ..Default::default()
        }
    } else {
        meta::object_meta(cx, app, block, name)
    };
    core::PersistentVolumeClaim {
        metadata,
        spec: Some(core::PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            storage_class_name: storage_class.clone(),
            resources: Some(core::VolumeResourceRequirements {
                requests: Some(requests),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}
