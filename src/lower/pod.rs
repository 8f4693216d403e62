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

/// What was generated next to a pod template.
pub struct PodOut {
    /// StatefulSet claim templates.
    pub claim_templates: Vec<core::PersistentVolumeClaim>,
    /// Whether a PersistentVolumeClaim kiln created is mounted (ReadWriteOnce).
    pub owns_claim: bool,
}

/// `*s = Some(v)`, written into the string already there when there is one: a
/// template refilled for the next app keeps its buffers ([`pod`]).
pub fn set_str(s: &mut Option<String>, v: &str) {
    match s {
        Some(s) => set_string(s, v),
        None => *s = Some(v.to_owned()),
    }
}

/// `*s = v`, in the buffer `s` already has.
pub fn set_string(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}

/// `*v = Some(from)` (`None` when `from` is empty), reusing the strings already there.
fn set_strings(v: &mut Option<Vec<String>>, from: &[String]) {
    if from.is_empty() {
        *v = None;
    } else {
        let v = v.get_or_insert_with(Vec::new);
        v.truncate(from.len());
        for (to, from) in v.iter_mut().zip(from) {
            to.clone_from(from);
        }
        if let Some(rest) = from.get(v.len()..) {
            v.extend_from_slice(rest);
        }
    }
}

/// `n` elements for the caller to fill completely, reusing the elements already there
/// (and their buffers); `None` when `n` is 0, as kiln writes an empty list.
fn resized<T: Default>(v: &mut Option<Vec<T>>, n: usize) -> &mut [T] {
    if n == 0 {
        *v = None;
        return &mut [];
    }
    let v = v.get_or_insert_with(Vec::new);
    v.truncate(n);
    v.resize_with(n, T::default);
    v
}

fn quantity(s: &str) -> Quantity {
    Quantity(s.to_owned())
}

fn resources(
    cx: &mut Cx,
    c: &Container,
    defaults: (&str, &str, &str, &str),
    out: &mut core::ResourceRequirements,
) {
    let (cpu_req, cpu_lim) = c
        .cpu
        .as_ref()
        .map_or((defaults.0, defaults.1), |r| (&r.min.text, &r.max.text));
    let (mem_req, mem_lim) = c
        .memory
        .as_ref()
        .map_or((defaults.2, defaults.3), |r| (&r.min.text, &r.max.text));
    let core::ResourceRequirements {
        claims,
        limits,
        requests,
    } = out;
    *claims = None;
    *requests = Some(cx.meta.cpu_memory(cpu_req, mem_req));
    *limits = Some(cx.meta.cpu_memory(cpu_lim, mem_lim));
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

/// The port a probe checks: a number, or the name of a container port.
#[derive(Clone, Copy)]
enum PortRef<'a> {
    Number(i32),
    Name(&'a str),
}

/// Sets `out` to `port`, in the string already there when both are names.
fn set_port(out: &mut IntOrString, port: PortRef) {
    match (out, port) {
        (IntOrString::String(s), PortRef::Name(n)) => set_string(s, n),
        (out, PortRef::Name(n)) => *out = IntOrString::String(n.to_owned()),
        (out, PortRef::Number(n)) => *out = IntOrString::Int(n),
    }
}

/// The port a probe of `c` checks: the explicit one, else the container's first port;
/// `None` (reported once per container) when there is neither.
fn probe_port<'c>(cx: &mut Cx, c: &'c Container, explicit: Option<u16>) -> Option<PortRef<'c>> {
    match (explicit, c.ports.first()) {
        (Some(n), _) => Some(PortRef::Number(i32::from(n))),
        (None, Some(p)) => Some(PortRef::Name(&p.name)),
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
                .help(
                    "name the port in the probe (`tcp(6379)`), declare `port`, or use `exec([..])`",
                ),
            );
            None
        }
    }
}

/// Sets `out` to the probe `p` of `c` (`None` when it has no port to check), every
/// field kiln writes set or cleared.
fn probe(
    cx: &mut Cx,
    c: &Container,
    p: &Probe,
    kind: ProbeKind,
    has_startup: bool,
    out: &mut Option<core::Probe>,
) {
    let port = match &p.check {
        ProbeCheck::Http { port: n, .. } | ProbeCheck::Tcp { port: n } => {
            match probe_port(cx, c, *n) {
                Some(port) => port,
                None => {
                    *out = None;
                    return;
                }
            }
        }
        // Not read: an exec probe has no port.
        ProbeCheck::Exec { .. } => PortRef::Number(0),
    };
    let (delay, period, timeout, failures) = probe_defaults(kind, has_startup);
    let core::Probe {
        exec,
        failure_threshold,
        grpc: _,
        http_get,
        initial_delay_seconds,
        period_seconds,
        success_threshold: _,
        tcp_socket,
        termination_grace_period_seconds: _,
        timeout_seconds,
    } = out.get_or_insert_with(Default::default);
    *initial_delay_seconds = Some(p.initial_delay.map_or(delay, secs));
    *period_seconds = Some(p.period.map_or(period, secs));
    *timeout_seconds = Some(p.timeout.map_or(timeout, secs));
    *failure_threshold = Some(
        p.failure_threshold
            .map_or(failures, |f| i32::try_from(f).unwrap_or(i32::MAX)),
    );
    match &p.check {
        ProbeCheck::Http { path, .. } => {
            *exec = None;
            *tcp_socket = None;
            let core::HTTPGetAction {
                host: _,
                http_headers: _,
                path: to,
                port: to_port,
                protocol: _,
                scheme: _,
            } = http_get.get_or_insert_with(Default::default);
            set_str(to, path);
            set_port(to_port, port);
        }
        ProbeCheck::Tcp { .. } => {
            *exec = None;
            *http_get = None;
            let core::TCPSocketAction {
                host: _,
                port: to_port,
            } = tcp_socket.get_or_insert_with(Default::default);
            set_port(to_port, port);
        }
        ProbeCheck::Exec { command } => {
            *http_get = None;
            *tcp_socket = None;
            *exec = Some(core::ExecAction {
                command: Some(command.clone()),
            });
        }
    }
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

fn pod_security(s: &Security, out: &mut core::PodSecurityContext) {
    let (non_root, user, group) = identity(s);
    let core::PodSecurityContext {
        app_armor_profile: _,
        fs_group,
        fs_group_change_policy: _,
        run_as_group,
        run_as_non_root,
        run_as_user,
        se_linux_change_policy: _,
        se_linux_options: _,
        seccomp_profile,
        supplemental_groups: _,
        supplemental_groups_policy: _,
        sysctls: _,
        windows_options: _,
    } = out;
    *run_as_non_root = Some(non_root);
    *run_as_user = user;
    // Root keeps the image's group unless one is given.
    *run_as_group = group;
    *fs_group = Some(s.fs_group.unwrap_or(DEFAULT_ID));
    let core::SeccompProfile {
        localhost_profile: _,
        type_,
    } = seccomp_profile.get_or_insert_with(Default::default);
    set_string(type_, "RuntimeDefault");
}

fn container_security(s: &Security, pod: &Security, out: &mut core::SecurityContext) {
    let core::SecurityContext {
        allow_privilege_escalation,
        app_armor_profile: _,
        capabilities,
        privileged,
        proc_mount: _,
        read_only_root_filesystem,
        run_as_group,
        run_as_non_root,
        run_as_user,
        se_linux_options: _,
        seccomp_profile: _,
        windows_options: _,
    } = out;
    // The API rejects `privileged: true` with `allowPrivilegeEscalation: false`.
    *allow_privilege_escalation = Some(s.privilege_escalation || s.privileged);
    *privileged = Some(s.privileged);
    *read_only_root_filesystem = Some(!s.writable_root);
    let core::Capabilities { add, drop } = capabilities.get_or_insert_with(Default::default);
    if !matches!(drop.as_deref(), Some([d]) if d == "ALL") {
        *drop = Some(vec!["ALL".to_owned()]);
    }
    set_strings(add, &s.add_capabilities);
    // A sidecar or init container that runs as someone else than the pod says.
    let (non_root, user, group) = identity(s);
    if (non_root, user, group) != identity(pod) {
        *run_as_non_root = Some(non_root);
        *run_as_user = user;
        *run_as_group = group;
    } else {
        *run_as_non_root = None;
        *run_as_user = None;
        *run_as_group = None;
    }
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

fn set_mount(out: &mut core::VolumeMount, name: &str, path: &str, read_only: Option<bool>) {
    let core::VolumeMount {
        bind_mount_options: _,
        mount_path,
        mount_propagation: _,
        name: to,
        read_only: to_read_only,
        recursive_read_only: _,
        sub_path: _,
        sub_path_expr: _,
    } = out;
    set_string(to, name);
    set_string(mount_path, path);
    *to_read_only = read_only;
}

/// Fills `out` with the container `c` of the pod `p` (every field kiln writes is set
/// or cleared: `out` may hold the previous app's container). Returns whether the
/// container mounts kiln's `/tmp` volume.
fn container(
    cx: &mut Cx,
    p: &PodIn,
    base: &str,
    pod_sec: &Security,
    c: &Container,
    role: Role,
    out: &mut core::Container,
) -> bool {
    let app = p.app;
    let sec = merged(&app.security, &c.security);
    let core::Container {
        args,
        command,
        env,
        env_from,
        image,
        image_pull_policy,
        lifecycle: _,
        liveness_probe,
        name,
        ports,
        readiness_probe,
        resize_policy: _,
        resources: res,
        restart_policy,
        restart_policy_rules: _,
        security_context,
        startup_probe,
        stdin: _,
        stdin_once: _,
        termination_message_path: _,
        termination_message_policy: _,
        tty: _,
        volume_devices: _,
        volume_mounts,
        working_dir: _,
    } = out;
    // The name of the container's own env ConfigMap, before its hash.
    let cm_base: &[&str] = match role {
        Role::Main => &[base, "-env"],
        _ => &[base, "-", &c.name, "-env"],
    };
    let mut vars = env::ContainerEnv {
        env: env.take().unwrap_or_default(),
        env_from: env_from.take().unwrap_or_default(),
    };
    env::container_env(cx, app, &p.block, c, p.app_cm, cm_base, &mut vars);
    *env = (!vars.env.is_empty()).then_some(vars.env);
    *env_from = (!vars.env_from.is_empty()).then_some(vars.env_from);

    set_string(name, &c.name);
    set_str(image, &c.image.as_ref().unwrap_or(&app.image).reference);
    // Always: a pod never starts from a cached image its pull secret would not allow,
    // and a re-pushed tag is noticed (checkov CKV_K8S_15).
    set_str(image_pull_policy, "Always");
    set_strings(command, &c.command);
    set_strings(args, &c.args);
    for (to, from) in resized(ports, c.ports.len()).iter_mut().zip(&c.ports) {
        let core::ContainerPort {
            container_port,
            host_ip: _,
            host_port: _,
            name,
            protocol: to_protocol,
        } = to;
        *container_port = i32::from(from.number);
        set_str(name, &from.name);
        set_str(to_protocol, protocol(from.protocol));
    }

    let mounted = p
        .volumes
        .iter()
        .filter(|v| role == Role::Main || c.mounts.contains(&v.name));
    let tmp = !sec.writable_root && !mounted.clone().any(|v| v.mount == "/tmp");
    let slots = resized(volume_mounts, mounted.clone().count() + usize::from(tmp));
    let mut slots = slots.iter_mut();
    // The volumes first: `zip` asks them first, so the last slot is left for /tmp.
    for (v, to) in mounted.zip(slots.by_ref()) {
        let read_only = (v.read_only || read_only_source(&v.source)).then_some(true);
        set_mount(to, &v.name, &v.mount, read_only);
    }
    if let Some(to) = slots.next() {
        set_mount(to, TMP_VOLUME, "/tmp", None);
    }

    let defaults = if role == Role::Main {
        MAIN_RESOURCES
    } else {
        SMALL_RESOURCES
    };
    resources(cx, c, defaults, res.get_or_insert_with(Default::default));
    container_security(
        &sec,
        pod_sec,
        security_context.get_or_insert_with(Default::default),
    );
    if role == Role::Sidecar {
        set_str(restart_policy, "Always");
    } else {
        *restart_policy = None;
    }
    // Init containers cannot have probes; native sidecars and main containers can.
    match &c.health {
        Some(h) if role != Role::Init => {
            let has_startup = h.startup.is_some();
            probe(
                cx,
                c,
                &h.readiness,
                ProbeKind::Readiness,
                has_startup,
                readiness_probe,
            );
            match &h.liveness {
                Some(l) => probe(cx, c, l, ProbeKind::Liveness, has_startup, liveness_probe),
                None => *liveness_probe = None,
            }
            match &h.startup {
                Some(s) => probe(cx, c, s, ProbeKind::Startup, has_startup, startup_probe),
                None => *startup_probe = None,
            }
        }
        _ => {
            *readiness_probe = None;
            *liveness_probe = None;
            *startup_probe = None;
        }
    }
    tmp
}

/// Builds the pod template of a block into `t`, pushing the ConfigMaps and claims it
/// needs. Every field kiln writes in a template is set or cleared, so `t` may be the
/// template of the previous app's object of the same kind: its strings, vectors and
/// fixed parts (security contexts, the `/tmp` mount) are rewritten in place instead of
/// being allocated, moved up into the object, and freed again for every app.
pub fn pod(cx: &mut Cx, p: &PodIn, t: &mut core::PodTemplateSpec) -> PodOut {
    let app = p.app;
    let base = meta::object_name(app, &p.block);
    let pod_sec = merged(&app.security, &p.main.security);
    let core::PodTemplateSpec { metadata, spec } = t;
    let core::PodSpec {
        active_deadline_seconds: _,
        affinity,
        automount_service_account_token,
        containers,
        dns_config: _,
        dns_policy: _,
        enable_service_links,
        ephemeral_containers: _,
        eviction_responders: _,
        host_aliases: _,
        host_ipc: _,
        host_network: _,
        host_pid: _,
        host_users: _,
        hostname: _,
        hostname_override: _,
        image_pull_secrets,
        init_containers,
        node_name: _,
        node_selector,
        os: _,
        overhead: _,
        preemption_policy: _,
        priority: _,
        priority_class_name: _,
        readiness_gates: _,
        resource_claims: _,
        resources: _,
        restart_policy,
        runtime_class_name: _,
        scheduler_name: _,
        scheduling_gates: _,
        scheduling_group: _,
        security_context,
        service_account: _,
        service_account_name,
        set_hostname_as_fqdn: _,
        share_process_namespace: _,
        subdomain: _,
        termination_grace_period_seconds,
        tolerations,
        topology_spread_constraints: _,
        volumes,
    } = spec.get_or_insert_with(Default::default);

    // Volumes first: containers mount them by name.
    let mut vols: Vec<core::Volume> = volumes.take().unwrap_or_default();
    vols.clear();
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
        vols.push(vol);
    }

    let mut needs_tmp = false;
    containers.truncate(1);
    if containers.is_empty() {
        containers.push(core::Container::default());
    }
    if let Some(main) = containers.first_mut() {
        needs_tmp |= container(cx, p, &base, &pod_sec, p.main, Role::Main, main);
    }
    // Init containers run first, in order; native sidecars start after them and keep
    // running next to the main container (and do not keep a Job from completing).
    let roles = p
        .init
        .iter()
        .map(|c| (c, Role::Init))
        .chain(p.sidecars.iter().map(|c| (c, Role::Sidecar)));
    let slots = resized(init_containers, p.init.len() + p.sidecars.len());
    for ((c, role), out) in roles.zip(slots.iter_mut()) {
        needs_tmp |= container(cx, p, &base, &pod_sec, c, role, out);
    }
    if needs_tmp {
        vols.push(core::Volume {
            name: TMP_VOLUME.to_owned(),
            empty_dir: Some(core::EmptyDirVolumeSource::default()),
            ..Default::default()
        });
    }
    *volumes = (!vols.is_empty()).then_some(vols);

    let m = meta::of(cx, app, &p.block);
    let mut selector: BTreeMap<String, String> = p
        .scheduling
        .node_selector
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if p.daemon && selector.is_empty() {
        selector.insert("kubernetes.io/os".to_owned(), "linux".to_owned());
    }
    *node_selector = (!selector.is_empty()).then_some(selector);
    *tolerations = (!p.scheduling.tolerations.is_empty()).then(|| {
        p.scheduling
            .tolerations
            .iter()
            .map(|t| core::Toleration {
                key: t.key.clone(),
                operator: Some(if t.value.is_some() { "Equal" } else { "Exists" }.to_owned()),
                value: t.value.clone(),
                effect: t.effect.clone(),
                ..Default::default()
            })
            .collect()
    });
    *affinity = p.spread.then(|| core::Affinity {
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

    set_str(service_account_name, &app.name);
    *automount_service_account_token = Some(pod_sec.service_account_token);
    // Service links inject one env var per Service of the namespace: noise, and a
    // classic source of clashes (`REDIS_PORT=tcp://...`).
    *enable_service_links = Some(false);
    pod_security(
        &pod_sec,
        security_context.get_or_insert_with(Default::default),
    );
    *image_pull_secrets = (!app.pull_secrets.is_empty()).then(|| {
        app.pull_secrets
            .iter()
            .map(|s| core::LocalObjectReference { name: s.clone() })
            .collect()
    });
    if p.job {
        set_str(restart_policy, "Never");
    } else {
        *restart_policy = None;
    }
    *termination_grace_period_seconds = Some(
        p.grace
            .map_or(30, |d| i64::try_from(d.secs).unwrap_or(i64::MAX)),
    );
    meta::template_meta(cx, &m, metadata.get_or_insert_with(Default::default));
    PodOut {
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

#[cfg(test)]
mod tests {
    /// The Deployment and Job of an app are refilled from the previous app's
    /// (`meta::Spares`): nothing of that app may stay. Each app must compile to the same
    /// text alone and after an app of another shape, in both orders.
    #[test]
    fn refilled_objects_keep_nothing_of_the_previous_app() {
        let rich = r#"
app rich {
  image = "registry.example.com/rich:1.0.0"
  pull_secrets = ["cred"]
  env { A = "1"  DB = secret("db", "url") }
  security { run_as_user = 2000 }
  service web {
    command = ["serve", "--port", "8080"]
    args    = ["--verbose"]
    port    = 8080
    ports   { metrics = 9394 }
    replicas = 3
    grace   = 45s
    tolerations = [toleration("dedicated", value = "web", effect = no_schedule)]
    health {
      readiness = http("/ready")
      liveness  = tcp()
      startup   = exec(["check"])
    }
    env { OWN = "x" }
    security { add_capabilities = ["NET_BIND_SERVICE"]  writable_root = true }
    volume conf { mount = "/etc/rich"  config_map = "rich-conf"  read_only = true }
    volume work { mount = "/work"  size = 1Gi }
    sidecar proxy {
      image  = "envoyproxy/envoy:v1.31.2"
      port   = 9901
      mounts = [conf]
      security { run_as_user = 3000 }
    }
    init wait-db { command = ["wait", "db"] }
    node_selector { "kubernetes.io/arch" = "arm64" }
  }
  worker queue {
    command = ["work"]
    health  = http("/h", port = 9000)
  }
  job migrate {
    command = ["migrate", "--all"]
    retries = 3
    timeout = 10m
    ttl     = 2d
    volume scratch { mount = "/scratch" }
    env { STEP = "1" }
  }
}
"#;
        let plain = r#"
app plain {
  image = "registry.example.com/plain:2.0.0"
  service web {
    port   = 80
    health = http("/")
  }
  worker queue { replicas = 1 }
  job migrate {
    command = ["m"]
    run     = before_deploy
  }
}
"#;
        let compile = |text: &str| -> String {
            let source = crate::Source::from_text("t.kiln", text);
            match crate::compile_to_yaml(&source, &crate::Options::default()) {
                Ok((parts, _)) => parts.concat(),
                Err(d) => panic!("does not compile: {d:?}"),
            }
        };
        let (r, p) = (compile(rich), compile(plain));
        assert!(r.contains("initContainers") && r.contains("startupProbe"));
        assert_eq!(compile(&[rich, plain].concat()), [&r, "---\n", &p].concat());
        assert_eq!(compile(&[plain, rich].concat()), [&p, "---\n", &r].concat());
    }
}
