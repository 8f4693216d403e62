//! The typed model: what the checker produces and the compiler lowers. Structs, not maps
//! of strings: every value here has already been checked (names are DNS-1123 labels,
//! ports are in range, quantities parsed, references resolved), so lowering never has to
//! re-validate or fail on user input except for limits only it can see.
//!
//! Defaults that are a *policy* of the compiler (security context, probes timing,
//! requests when absent) are applied in `lower`, so that `docs/output.md` explains them
//! in one place; the model keeps `Option` where the user said nothing.

use crate::source::Loc;
use indexmap::IndexMap;

/// Everything one compilation produces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// The apps, in source order.
    pub apps: Vec<App>,
}

/// `app NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The app name (a DNS-1123 label): prefix of every object name.
    pub name: String,
    /// Where the `app` block is.
    pub loc: Loc,
    /// The namespace (defaults to the app name).
    pub namespace: String,
    /// The default image of every container.
    pub image: Image,
    /// `imagePullSecrets`.
    pub pull_secrets: Vec<String>,
    /// `version` label (defaults to the image tag).
    pub version: Option<String>,
    /// Plain and secret env shared by every container of the app.
    pub env: Env,
    /// Extra labels on every generated object.
    pub labels: IndexMap<String, String>,
    /// Extra annotations on every generated object.
    pub annotations: IndexMap<String, String>,
    /// App-wide security settings (each relaxation is explicit).
    pub security: Security,
    /// Long-running workloads: services, workers, stateful sets, daemons.
    pub workloads: Vec<Workload>,
    /// One-off jobs (migrations, seeds).
    pub jobs: Vec<Job>,
    /// Scheduled jobs.
    pub crons: Vec<Cron>,
    /// An app-level ingress routing paths to several services.
    pub ingress: Option<AppIngress>,
    /// The ingress controller's namespace, for the NetworkPolicy that lets it in.
    pub ingress_namespace: String,
    /// Objects carried through unchanged (custom resources), already parsed.
    pub raw: Vec<RawObject>,
    /// Whether egress is restricted (then DNS egress and `talks_to` are allowed).
    pub restrict_egress: bool,
}

/// An image reference, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// As written: `registry.example.com/csis:1.4.2`.
    pub reference: String,
    /// `registry.example.com/csis`.
    pub repository: String,
    /// `1.4.2`.
    pub tag: Option<String>,
    /// `sha256:...`.
    pub digest: Option<String>,
    /// Where it was written.
    pub loc: Loc,
}

/// Environment variables: plain values go to a hashed ConfigMap, secret references to
/// `valueFrom.secretKeyRef`, whole Secrets/ConfigMaps to `envFrom`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Env {
    /// `KEY = value`, in source order.
    pub vars: IndexMap<String, EnvValue>,
    /// `env_from = [secret("env"), config_map("shared")]`.
    pub from: Vec<EnvFrom>,
}

/// One env value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// A plain string (numbers and booleans are written as strings, as Kubernetes wants).
    Plain(String),
    /// `secret("name", "key")`: a reference, never a value.
    Secret {
        /// The Secret object's name.
        name: String,
        /// The key in it.
        key: String,
    },
    /// `config_map("name", "key")`: a key of an existing ConfigMap.
    ConfigMap {
        /// The ConfigMap's name.
        name: String,
        /// The key in it.
        key: String,
    },
    /// `field("metadata.name")`: the downward API.
    Field(String),
}

/// A whole Secret or ConfigMap as env.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFrom {
    /// `secret("name")`.
    Secret(String),
    /// `config_map("name")`.
    ConfigMap(String),
}

/// A CPU quantity in millicores, with the text kiln emits (`250m`, `1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// Millicores.
    pub millis: u64,
    /// Canonical Kubernetes text.
    pub text: String,
}

/// A memory quantity in bytes, with the text kiln emits (`512Mi`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    /// Bytes.
    pub bytes: u64,
    /// Canonical Kubernetes text.
    pub text: String,
}

/// A request..limit pair; a single value gives `request == limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range<T> {
    /// The request (or min).
    pub min: T,
    /// The limit (or max).
    pub max: T,
}

/// A duration in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    /// Seconds.
    pub secs: u64,
}

/// The service/worker/stateful/daemon distinction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// Deployment + Service.
    Service,
    /// Deployment, no Service.
    Worker,
    /// StatefulSet + headless Service + volumeClaimTemplates.
    Stateful,
    /// DaemonSet.
    Daemon,
}

/// A long-running workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Which controller.
    pub kind: WorkloadKind,
    /// The block name (object names are `{app}-{name}`).
    pub name: String,
    /// Where the block is.
    pub loc: Loc,
    /// The main container.
    pub container: Container,
    /// Sidecar containers.
    pub sidecars: Vec<Container>,
    /// Init containers, in order.
    pub init: Vec<Container>,
    /// Replicas (None for daemons; defaults applied in lower).
    pub replicas: Option<u32>,
    /// Horizontal autoscaling.
    pub autoscale: Option<Autoscale>,
    /// How the Service exposes it (services and stateful sets).
    pub expose: Option<Expose>,
    /// A per-service ingress.
    pub ingress: Option<Ingress>,
    /// Volumes, mounted into the main container.
    pub volumes: Vec<Volume>,
    /// Scheduling.
    pub scheduling: Scheduling,
    /// Other workloads of the app this one may open connections to.
    pub talks_to: Vec<String>,
    /// Extra labels.
    pub labels: IndexMap<String, String>,
    /// Extra annotations.
    pub annotations: IndexMap<String, String>,
    /// `terminationGracePeriodSeconds`.
    pub termination_grace: Option<Duration>,
    /// Patches applied to generated objects after defaults.
    pub patches: Vec<Patch>,
}

/// One container.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// Container name (the block name; for the main container, the workload name).
    pub name: String,
    /// None: the app's image.
    pub image: Option<Image>,
    /// `command`.
    pub command: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// Named ports.
    pub ports: Vec<Port>,
    /// Env overrides and additions for this container (merged over the app's).
    pub env: Env,
    /// CPU request..limit.
    pub cpu: Option<Range<Cpu>>,
    /// Memory request..limit.
    pub memory: Option<Range<Memory>>,
    /// Probes.
    pub health: Option<Health>,
    /// Container-level relaxations (merged over the app's).
    pub security: Security,
    /// Volume mounts by volume name (sidecars and init containers name the volumes of
    /// their workload they need).
    pub mounts: Vec<String>,
    /// Where the block is.
    pub loc: Loc,
}

/// A container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// IANA-style name (`http`), ≤ 15 characters.
    pub name: String,
    /// 1..=65535.
    pub number: u16,
    /// TCP unless said.
    pub protocol: Protocol,
}

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// How a probe checks the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeCheck {
    /// `http("/up", port = 3000)`; port defaults to the container's first port.
    Http {
        /// Path.
        path: String,
        /// Port number, if not the first port.
        port: Option<u16>,
    },
    /// `tcp(5432)`; defaults to the first port.
    Tcp {
        /// Port.
        port: Option<u16>,
    },
    /// `exec(["pg_isready"])`.
    Exec {
        /// The command.
        command: Vec<String>,
    },
}

/// A probe and its timings (None = kiln's documented default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// What it checks.
    pub check: ProbeCheck,
    /// `initialDelaySeconds`.
    pub initial_delay: Option<Duration>,
    /// `periodSeconds`.
    pub period: Option<Duration>,
    /// `timeoutSeconds`.
    pub timeout: Option<Duration>,
    /// `failureThreshold`.
    pub failure_threshold: Option<u32>,
}

/// `health = http("/up")` (readiness and liveness the same) or a `health { }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Readiness probe.
    pub readiness: Probe,
    /// Liveness probe (None: disabled explicitly with `liveness = none`).
    pub liveness: Option<Probe>,
    /// Startup probe, for slow starters.
    pub startup: Option<Probe>,
}

/// Security settings; `Default` is the secure default, every `true`/`Some` a relaxation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// `run_as_root = true`.
    pub run_as_root: bool,
    /// `run_as_user = 1000` (default 10001 in lower).
    pub run_as_user: Option<i64>,
    /// `run_as_group`.
    pub run_as_group: Option<i64>,
    /// `fs_group`.
    pub fs_group: Option<i64>,
    /// `writable_root = true`.
    pub writable_root: bool,
    /// `add_capabilities = ["NET_BIND_SERVICE"]`.
    pub add_capabilities: Vec<String>,
    /// `privileged = true`.
    pub privileged: bool,
    /// `privilege_escalation = true`.
    pub privilege_escalation: bool,
    /// `service_account_token = true`.
    pub service_account_token: bool,
    /// `mutable_tag = true`: an unpinned image kept on purpose.
    pub mutable_tag: bool,
}

/// `autoscale { min max cpu memory }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autoscale {
    /// minReplicas.
    pub min: u32,
    /// maxReplicas.
    pub max: u32,
    /// Target average CPU utilisation, percent.
    pub cpu: Option<u32>,
    /// Target average memory utilisation, percent.
    pub memory: Option<u32>,
}

/// Service type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    /// Cluster-internal.
    ClusterIp,
    /// A port on every node.
    NodePort,
    /// A cloud load balancer.
    LoadBalancer,
}

/// How the Service in front of a workload looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expose {
    /// The type.
    pub service_type: ServiceType,
    /// The Service port (defaults to the container port).
    pub port: Option<u16>,
    /// A fixed node port.
    pub node_port: Option<u16>,
}

/// A per-service ingress.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingress {
    /// Host name.
    pub host: String,
    /// Path prefix (default `/`).
    pub path: String,
    /// TLS Secret name.
    pub tls: Option<String>,
    /// Source CIDRs allowed (empty: everyone).
    pub allow: Vec<String>,
    /// Ingress class (default `nginx`).
    pub class: String,
    /// Where the block is.
    pub loc: Loc,
}

/// An app-level ingress: one host, several paths to several services.
#[derive(Debug, Clone, PartialEq)]
pub struct AppIngress {
    /// Host name.
    pub host: String,
    /// TLS Secret name.
    pub tls: Option<String>,
    /// Source CIDRs allowed.
    pub allow: Vec<String>,
    /// Ingress class.
    pub class: String,
    /// `"/api/" = streaming`: path prefix → workload name, in source order.
    pub routes: Vec<(String, String)>,
    /// Where the block is.
    pub loc: Loc,
}

/// Where a volume's content comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum VolumeSource {
    /// Scratch space (`emptyDir`), optionally size-limited.
    EmptyDir {
        /// `sizeLimit`.
        size: Option<Memory>,
    },
    /// A PersistentVolumeClaim kiln creates (for `stateful`: a claim template per pod).
    Claim {
        /// Requested size.
        size: Memory,
        /// Storage class, if not the cluster default.
        storage_class: Option<String>,
    },
    /// An existing PersistentVolumeClaim.
    ExistingClaim(String),
    /// An existing Secret's keys as files.
    Secret(String),
    /// An existing ConfigMap's keys as files.
    ConfigMap(String),
    /// Local files read at compile time (`file("nginx.conf")`), put in a hashed ConfigMap.
    Files(Vec<FileContent>),
    /// A host path (daemons reading node logs); a relaxation with a warning.
    HostPath(String),
}

/// A file read at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// The key (the file's base name).
    pub name: String,
    /// Its text.
    pub content: String,
}

/// `volume NAME { mount = "/path" ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Volume name.
    pub name: String,
    /// Mount path in the container.
    pub mount: String,
    /// Read-only mount.
    pub read_only: bool,
    /// The source.
    pub source: VolumeSource,
    /// Where the block is.
    pub loc: Loc,
}

/// Node selection and placement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scheduling {
    /// `nodeSelector`.
    pub node_selector: IndexMap<String, String>,
    /// Tolerations.
    pub tolerations: Vec<Toleration>,
    /// Spread replicas across nodes (default: on for services with > 1 replica).
    pub spread: Option<bool>,
}

/// A toleration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toleration {
    /// Taint key (None with `operator: Exists` tolerates everything).
    pub key: Option<String>,
    /// Value (None: `operator: Exists`).
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute`, or None for all.
    pub effect: Option<String>,
}

/// When a job runs in a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunPhase {
    /// Every release, before workloads roll.
    BeforeDeploy,
    /// The first release only.
    OnInstall,
    /// Every release, after workloads rolled.
    AfterDeploy,
    /// Only when an operator runs it.
    Manual,
}

/// Whether a migration keeps the previous release's code working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compatible {
    /// New schema works with old code: migrate, then roll.
    Previous,
    /// It does not: scale to zero, migrate, scale back (downtime).
    None,
}

/// `job NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The block name.
    pub name: String,
    /// Where.
    pub loc: Loc,
    /// The container.
    pub container: Container,
    /// When it runs.
    pub run: RunPhase,
    /// Jobs that must finish first, with where each is named.
    pub after: Vec<(String, Loc)>,
    /// Workloads of the app the job opens connections to (their NetworkPolicies admit
    /// it; with `restrict_egress` its own allows them).
    pub talks_to: Vec<String>,
    /// `activeDeadlineSeconds` and the plan's wait.
    pub timeout: Option<Duration>,
    /// `backoffLimit`.
    pub retries: Option<u32>,
    /// `ttlSecondsAfterFinished`.
    pub ttl: Option<Duration>,
    /// Zero-downtime guard.
    pub compatible: Compatible,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// Scheduling.
    pub scheduling: Scheduling,
    /// Extra labels.
    pub labels: IndexMap<String, String>,
    /// Extra annotations.
    pub annotations: IndexMap<String, String>,
    /// Patches.
    pub patches: Vec<Patch>,
}

/// What a cron does when the previous run is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Skip the new run (default).
    Forbid,
    /// Run both.
    Allow,
    /// Stop the old one.
    Replace,
}

/// `cron NAME { schedule = "0 3 * * *" ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    /// The block name.
    pub name: String,
    /// Where.
    pub loc: Loc,
    /// The container.
    pub container: Container,
    /// A checked 5-field cron expression.
    pub schedule: String,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// concurrencyPolicy.
    pub concurrency: Concurrency,
    /// startingDeadlineSeconds.
    pub starting_deadline: Option<Duration>,
    /// activeDeadlineSeconds of each run.
    pub timeout: Option<Duration>,
    /// backoffLimit of each run.
    pub retries: Option<u32>,
    /// successfulJobsHistoryLimit.
    pub keep_succeeded: Option<u32>,
    /// failedJobsHistoryLimit.
    pub keep_failed: Option<u32>,
    /// suspend.
    pub suspend: bool,
    /// Workloads of the app each run opens connections to (as for a job).
    pub talks_to: Vec<String>,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// Scheduling.
    pub scheduling: Scheduling,
    /// Extra labels.
    pub labels: IndexMap<String, String>,
    /// Extra annotations.
    pub annotations: IndexMap<String, String>,
    /// Patches.
    pub patches: Vec<Patch>,
}

/// `patch deployment { spec.template.spec.priorityClassName = "high" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The generated object kind it targets, lowercase (`deployment`, `service`, ...).
    pub target: String,
    /// Path segments → JSON value, in source order.
    pub sets: Vec<PatchSet>,
    /// Where the block is.
    pub loc: Loc,
}

/// One `path = value` of a patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchSet {
    /// `["spec", "template", "spec", "priorityClassName"]`.
    pub path: Vec<String>,
    /// The value (`null` removes the field).
    pub value: serde_json::Value,
    /// Where the field is.
    pub loc: Loc,
}

/// A raw Kubernetes object carried through unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct RawObject {
    /// The object (apiVersion, kind, metadata.name at least).
    pub object: serde_json::Value,
    /// Where it was declared.
    pub loc: Loc,
}
