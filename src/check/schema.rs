//! The schema of every block kind, as data.
//!
//! One static table says, for each block kind, what it means, whether it is named, which
//! blocks may appear inside it, and each field's type, default, documentation and the
//! Kubernetes field(s) it becomes. The checker walks source against it, the reference in
//! `docs/language.md` is generated from it ([`reference_markdown`]), and the language
//! server reads it for hover and completion ([`block`], [`field`], [`child`]).
//!
//! A block kind can mean different things in different places (`ingress` inside a
//! `service` is not the app-level `ingress` with `routes`), so every schema has a unique
//! [`BlockSchema::id`] besides the [`BlockSchema::kind`] written in source; [`child`]
//! resolves a kind in the context of its parent.

/// The type of a field value, as const data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A string; `${name}` interpolation allowed.
    Str,
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// `true` or `false`.
    Bool,
    /// A quoted DNS-1123 label (`"csis-tls"`): lowercase letters, digits, `-`, ≤ 63.
    Name,
    /// A quoted container image reference pinned to a tag or a digest.
    Image,
    /// A port number, 1..=65535.
    Port,
    /// A CPU quantity: cores (`1`, `0.5`) or millicores (`250m`).
    Cpu,
    /// A memory quantity: bytes with a decimal (`M`, `G`) or binary (`Mi`, `Gi`) unit.
    Memory,
    /// A duration in whole seconds: `30s`, `10m`, `1h`, `1d`.
    Duration,
    /// A percentage: `70%`.
    Percent,
    /// A quoted IPv4 or IPv6 CIDR block: `"10.0.0.0/8"`.
    Cidr,
    /// A quoted cron schedule: five fields or `@daily` and friends.
    Cron,
    /// A quoted DNS host name: `"csis.example.com"`.
    Host,
    /// A quoted absolute path: `"/data"`.
    Path,
    /// One of the listed bare words.
    Enum(&'static [&'static str]),
    /// `[a, b]` of the inner type.
    List(&'static Ty),
    /// `a .. b` of the inner type, or a single value meaning `a .. a`.
    Range(&'static Ty),
    /// `http("/up", port = 8080)`, `tcp(5432)` or `exec(["cmd"])`.
    Probe,
    /// A bare name of a declared thing of that kind.
    Ref(RefKind),
    /// An env value: a string (numbers and booleans become strings), `secret("name",
    /// "key")`, `config_map("name", "key")` or `field("metadata.name")`.
    EnvValue,
    /// A whole Secret or ConfigMap as env: `secret("name")`, `config_map("name")`.
    EnvFrom,
    /// `toleration("key", value = "v", effect = no_schedule)`.
    Toleration,
    /// `file("relative/path")`: a file read at compile time, relative to the `.kiln` file.
    File,
    /// A quoted Linux capability name: `"NET_BIND_SERVICE"`.
    Capability,
    /// Any literal (string, number, boolean, `none`, list), carried into a patch as JSON.
    Json,
}

/// What a [`Ty::Ref`] may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// A `job` of the same app.
    Job,
    /// A `service`, `worker`, `stateful` or `daemon` of the same app.
    Workload,
    /// A `service` (or `stateful`, which also has a Service) of the same app.
    Service,
    /// A `volume` of the enclosing workload.
    Volume,
}

impl RefKind {
    /// How the kind is named in messages and docs.
    pub fn describe(self) -> &'static str {
        match self {
            RefKind::Job => "job",
            RefKind::Workload => "workload",
            RefKind::Service => "service",
            RefKind::Volume => "volume",
        }
    }
}

impl Ty {
    /// The type as written in the docs: `list(name)`, `range(cpu)`, `enum(a|b)`.
    pub fn describe(&self) -> String {
        match self {
            Ty::Str => "string".into(),
            Ty::Int { .. } => "int".into(),
            Ty::Bool => "bool".into(),
            Ty::Name => "name".into(),
            Ty::Image => "image".into(),
            Ty::Port => "port".into(),
            Ty::Cpu => "cpu".into(),
            Ty::Memory => "memory".into(),
            Ty::Duration => "duration".into(),
            Ty::Percent => "percent".into(),
            Ty::Cidr => "cidr".into(),
            Ty::Cron => "cron".into(),
            Ty::Host => "host".into(),
            Ty::Path => "path".into(),
            Ty::Enum(words) => format!("enum({})", words.join("|")),
            Ty::List(inner) => format!("list({})", inner.describe()),
            Ty::Range(inner) => format!("range({})", inner.describe()),
            Ty::Probe => "probe".into(),
            Ty::Ref(k) => format!("ref({})", k.describe()),
            Ty::EnvValue => "env value".into(),
            Ty::EnvFrom => "env source".into(),
            Ty::Toleration => "toleration".into(),
            Ty::File => "file".into(),
            Ty::Capability => "capability".into(),
            Ty::Json => "any".into(),
        }
    }

    /// What a value of this type looks like, for "expected ..." messages.
    pub fn expectation(&self) -> String {
        match self {
            Ty::Str => "a string".into(),
            Ty::Int { .. } => "a whole number".into(),
            Ty::Bool => "`true` or `false`".into(),
            Ty::Name => "a name in quotes (e.g. `\"my-name\"`)".into(),
            Ty::Image => "an image reference in quotes".into(),
            Ty::Port => "a port number".into(),
            Ty::Cpu => "a CPU quantity (e.g. `250m` or `1`)".into(),
            Ty::Memory => "a memory quantity (e.g. `512Mi`)".into(),
            Ty::Duration => "a duration (e.g. `30s`, `10m`)".into(),
            Ty::Percent => "a percentage (e.g. `70%`)".into(),
            Ty::Cidr => "a CIDR block in quotes (e.g. `\"10.0.0.0/8\"`)".into(),
            Ty::Cron => "a cron schedule in quotes (e.g. `\"0 3 * * *\"`)".into(),
            Ty::Host => "a host name in quotes".into(),
            Ty::Path => "an absolute path in quotes".into(),
            Ty::Enum(words) => format!(
                "one of {}",
                words
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Ty::List(inner) => format!("a list of `{}`", inner.describe()),
            Ty::Range(inner) => format!(
                "{} or a range `a .. b`",
                inner.expectation()
            ),
            Ty::Probe => "a probe: `http(\"/path\")`, `tcp(port)` or `exec([..])`".into(),
            Ty::Ref(k) => format!("the name of a {}", k.describe()),
            Ty::EnvValue => {
                "a string, `secret(\"name\", \"key\")`, `config_map(\"name\", \"key\")` or `field(\"path\")`"
                    .into()
            }
            Ty::EnvFrom => "`secret(\"name\")` or `config_map(\"name\")`".into(),
            Ty::Toleration => "`toleration(\"key\", value = \"v\", effect = no_schedule)`".into(),
            Ty::File => "`file(\"relative/path\")`".into(),
            Ty::Capability => "a capability name in quotes (e.g. `\"NET_BIND_SERVICE\"`)".into(),
            Ty::Json => "a literal value".into(),
        }
    }
}

/// The type of the keys of a free-key block (`env`, `labels`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTy {
    /// A C identifier: `[A-Za-z_][A-Za-z0-9_]*`.
    EnvName,
    /// A Kubernetes label key: `[prefix/]name`, name ≤ 63.
    LabelKey,
    /// A Kubernetes annotation key: `[prefix/]name`, name ≤ 63.
    AnnotationKey,
    /// An IANA service name: ≤ 15 lowercase letters, digits and `-`.
    PortName,
    /// An HTTP path prefix starting with `/`.
    UrlPath,
    /// A dotted path into the generated object: `spec.template.spec.priorityClassName`.
    ObjectPath,
}

impl KeyTy {
    /// As written in the docs.
    pub fn describe(self) -> &'static str {
        match self {
            KeyTy::EnvName => "env var name (C identifier)",
            KeyTy::LabelKey => "label key",
            KeyTy::AnnotationKey => "annotation key",
            KeyTy::PortName => "port name (IANA service name, ≤ 15 characters)",
            KeyTy::UrlPath => "URL path prefix",
            KeyTy::ObjectPath => "dotted path in the object",
        }
    }
}

/// Keys and values of a free-key block.
#[derive(Debug, Clone, Copy)]
pub struct FreeKeys {
    /// The keys' type.
    pub key: KeyTy,
    /// The values' type.
    pub value: Ty,
    /// Whether a key may be a dotted path (`a.b.c = 1`).
    pub dotted: bool,
}

/// One field of a block.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The name written in source.
    pub name: &'static str,
    /// The value's type.
    pub ty: Ty,
    /// Whether the block is invalid without it.
    pub required: bool,
    /// The default, as text for the docs (the checker or lowering applies it).
    pub default: Option<&'static str>,
    /// One paragraph.
    pub doc: &'static str,
    /// The Kubernetes field(s) it becomes.
    pub k8s: &'static [&'static str],
}

/// Whether a block carries a name after its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `env { }`.
    Anonymous,
    /// `service web { }`: a DNS-1123 label.
    Named,
    /// `patch deployment { }`: the kind of generated object patched.
    Target,
}

/// A block that may appear inside another.
#[derive(Debug, Clone, Copy)]
pub struct Child {
    /// The child's schema.
    pub block: &'static BlockSchema,
    /// Whether it may appear more than once (named blocks) or at most once.
    pub many: bool,
    /// Whether the parent is invalid without it.
    pub required: bool,
}

/// The schema of one block kind.
#[derive(Debug)]
pub struct BlockSchema {
    /// Unique identifier (`service`, `app_ingress`, `health_block`).
    pub id: &'static str,
    /// The kind as written in source (`ingress`, `health`).
    pub kind: &'static str,
    /// A title for the docs.
    pub title: &'static str,
    /// One paragraph.
    pub doc: &'static str,
    /// Whether it is named.
    pub naming: Naming,
    /// Groups of fields (shared groups, such as the container fields, are one slice).
    pub fields: &'static [&'static [Field]],
    /// Fields of the groups above that this block requires although the group does not
    /// (`port` on a `service`).
    pub requires: &'static [&'static str],
    /// Keys and values of a free-key block.
    pub free: Option<FreeKeys>,
    /// Blocks allowed inside.
    pub children: &'static [Child],
    /// The Kubernetes object(s) or field the block becomes.
    pub k8s: &'static str,
}

impl Field {
    /// Markdown for an editor's hover: the field's type, default, doc and the Kubernetes
    /// fields it becomes. `required` as the enclosing block says
    /// ([`BlockSchema::is_required`]).
    pub fn hover(&self, required: bool) -> String {
        let mut s = format!("`{}`: `{}`", self.name, self.ty.describe());
        if required {
            s.push_str(" (required)");
        } else if let Some(d) = self.default {
            s.push_str(&format!(" (default: {d})"));
        }
        s.push_str("\n\n");
        s.push_str(self.doc);
        if !self.k8s.is_empty() {
            s.push_str("\n\nBecomes ");
            s.push_str(
                &self
                    .k8s
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            s.push('.');
        }
        s
    }
}

impl BlockSchema {
    /// Markdown for an editor's hover on the block's kind.
    pub fn hover(&self) -> String {
        format!("`{}`\n\n{}\n\nBecomes: {}.", self.title, self.doc, self.k8s)
    }

    /// All fields, in table order.
    pub fn fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        self.fields.iter().flat_map(|g| g.iter())
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        // Two plain loops: the checker looks up every field it meets here.
        for group in self.fields {
            for f in *group {
                if f.name == name {
                    return Some(f);
                }
            }
        }
        None
    }

    /// Whether a field is required here (by itself or by [`BlockSchema::requires`]).
    pub fn is_required(&self, field: &Field) -> bool {
        field.required || self.requires.contains(&field.name)
    }

    /// A child block by the kind written in source.
    pub fn child(&self, kind: &str) -> Option<&'static Child> {
        self.children.iter().find(|c| c.block.kind == kind)
    }
}

// ---- shared enums ----------------------------------------------------------------------

/// `run` of a job.
pub const RUN_PHASES: &[&str] = &["before_deploy", "on_install", "after_deploy", "manual"];
/// `compatible` of a job.
pub const COMPATIBLE: &[&str] = &["previous", "none"];
/// `service_type`.
pub const SERVICE_TYPES: &[&str] = &["cluster_ip", "node_port", "load_balancer"];
/// `concurrency` of a cron.
pub const CONCURRENCY: &[&str] = &["forbid", "allow", "replace"];
/// `effect` of a toleration.
pub const TAINT_EFFECTS: &[&str] = &["no_schedule", "prefer_no_schedule", "no_execute"];

/// Objects a `patch` block may target, by the kind of block it is in.
pub fn patch_targets(parent_id: &str) -> &'static [&'static str] {
    match parent_id {
        "service" => &[
            "deployment",
            "service",
            "ingress",
            "horizontalpodautoscaler",
            "poddisruptionbudget",
            "networkpolicy",
        ],
        "worker" => &[
            "deployment",
            "horizontalpodautoscaler",
            "poddisruptionbudget",
            "networkpolicy",
        ],
        "stateful" => &[
            "statefulset",
            "service",
            "ingress",
            "horizontalpodautoscaler",
            "poddisruptionbudget",
            "networkpolicy",
        ],
        "daemon" => &["daemonset", "networkpolicy"],
        "job" => &["job"],
        "cron" => &["cronjob"],
        _ => &[],
    }
}

// ---- field groups ----------------------------------------------------------------------

const LIST_STR: Ty = Ty::List(&Ty::Str);
const COUNT: Ty = Ty::Int {
    min: 0,
    max: 1_000_000,
};
const ID: Ty = Ty::Int {
    min: 0,
    max: 2_147_483_647,
};

/// Fields of every container (service, worker, stateful, daemon, job, cron, sidecar, init).
pub static CONTAINER_FIELDS: &[Field] = &[
    Field {
        name: "image",
        ty: Ty::Image,
        required: false,
        default: Some("the app's `image`"),
        doc: "The container image, pinned to a tag or a digest. `:latest` and untagged \
              references are rejected: a release must run exactly the image it was \
              reviewed with.",
        k8s: &["Container.image"],
    },
    Field {
        name: "command",
        ty: LIST_STR,
        required: false,
        default: Some("the image's entrypoint"),
        doc: "The command run in the container, as a list of words (no shell).",
        k8s: &["Container.command"],
    },
    Field {
        name: "args",
        ty: LIST_STR,
        required: false,
        default: None,
        doc: "Arguments appended to the command (or to the image's entrypoint).",
        k8s: &["Container.args"],
    },
    Field {
        name: "port",
        ty: Ty::Port,
        required: false,
        default: None,
        doc: "The main port the container listens on, named `http`. Services route to it, \
              probes check it by default.",
        k8s: &[
            "Container.ports[http].containerPort",
            "Service.spec.ports[http].targetPort",
        ],
    },
    Field {
        name: "cpu",
        ty: Ty::Range(&Ty::Cpu),
        required: false,
        default: Some("`100m .. 1` (sidecar, init: `50m .. 250m`)"),
        doc: "CPU request and limit: `250m .. 1`. A single value sets both.",
        k8s: &[
            "Container.resources.requests.cpu",
            "Container.resources.limits.cpu",
        ],
    },
    Field {
        name: "memory",
        ty: Ty::Range(&Ty::Memory),
        required: false,
        default: Some("`256Mi` (sidecar, init: `128Mi`)"),
        doc: "Memory request and limit: `512Mi .. 1Gi`. A single value sets both.",
        k8s: &[
            "Container.resources.requests.memory",
            "Container.resources.limits.memory",
        ],
    },
    Field {
        name: "env_from",
        ty: Ty::List(&Ty::EnvFrom),
        required: false,
        default: None,
        doc: "Whole Secrets or ConfigMaps whose keys become env vars: \
              `[secret(\"env\"), config_map(\"shared\")]`.",
        k8s: &["Container.envFrom"],
    },
];

/// `health` of every container except init containers (which cannot have probes).
pub static PROBE_FIELDS: &[Field] = &[Field {
    name: "health",
    ty: Ty::Probe,
    required: false,
    default: None,
    doc: "The readiness and liveness probe: `http(\"/up\")`, `tcp(5432)` or \
              `exec([\"pg_isready\"])`. Use a `health { }` block for distinct probes and \
              timings.",
    k8s: &["Container.readinessProbe", "Container.livenessProbe"],
}];

/// `mounts` of sidecar and init containers.
pub static MOUNT_FIELDS: &[Field] = &[Field {
    name: "mounts",
    ty: Ty::List(&Ty::Ref(RefKind::Volume)),
    required: false,
    default: Some("none"),
    doc: "Volumes of the enclosing workload this container mounts (the main container \
          mounts all of them).",
    k8s: &["Container.volumeMounts"],
}];

/// Fields of every long-running workload.
pub static WORKLOAD_FIELDS: &[Field] = &[
    Field {
        name: "talks_to",
        ty: Ty::List(&Ty::Ref(RefKind::Workload)),
        required: false,
        default: Some("[]"),
        doc: "Workloads of the app this one opens connections to; the NetworkPolicies \
              allow exactly these.",
        k8s: &["NetworkPolicy.spec.ingress[].from[].podSelector"],
    },
    Field {
        name: "grace",
        ty: Ty::Duration,
        required: false,
        default: Some("30s"),
        doc: "How long the pod may take to stop after SIGTERM.",
        k8s: &["PodSpec.terminationGracePeriodSeconds"],
    },
    Field {
        name: "tolerate_all",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Tolerate every taint, so the pods also run on tainted nodes (log shippers, \
              node agents). A relaxation: reported as a warning.",
        k8s: &["PodSpec.tolerations[{operator: Exists}]"],
    },
    Field {
        name: "tolerations",
        ty: Ty::List(&Ty::Toleration),
        required: false,
        default: Some("[]"),
        doc: "Taints the pods tolerate: `[toleration(\"dedicated\", value = \"batch\", \
              effect = no_schedule)]`.",
        k8s: &["PodSpec.tolerations"],
    },
];

/// `replicas` and `spread` (service, worker, stateful).
pub static REPLICA_FIELDS: &[Field] = &[
    Field {
        name: "replicas",
        ty: Ty::Int {
            min: 0,
            max: 10_000,
        },
        required: false,
        default: Some("2 for a service, 1 for a worker or stateful"),
        doc: "How many pods run. With one replica there is no PodDisruptionBudget and a \
              node drain means downtime (a warning for services).",
        k8s: &["Deployment.spec.replicas", "StatefulSet.spec.replicas"],
    },
    Field {
        name: "spread",
        ty: Ty::Bool,
        required: false,
        default: Some("true with more than one replica or `autoscale`"),
        doc: "Spread the pods across nodes (preferred pod anti-affinity).",
        k8s: &["PodSpec.affinity.podAntiAffinity"],
    },
];

/// `service_type` and `service_port` (service, stateful).
pub static EXPOSE_FIELDS: &[Field] = &[
    Field {
        name: "service_type",
        ty: Ty::Enum(SERVICE_TYPES),
        required: false,
        default: Some("cluster_ip"),
        doc: "How the Service is exposed: inside the cluster, on a port of every node, or \
              through a cloud load balancer.",
        k8s: &["Service.spec.type"],
    },
    Field {
        name: "service_port",
        ty: Ty::Port,
        required: false,
        default: Some("`port`"),
        doc: "The port of the Service, when it differs from the container's `port`.",
        k8s: &["Service.spec.ports[http].port"],
    },
];

/// `node_port` (service only).
pub static NODE_PORT_FIELDS: &[Field] = &[Field {
    name: "node_port",
    ty: Ty::Port,
    required: false,
    default: Some("chosen by Kubernetes"),
    doc: "A fixed node port (30000..=32767); only with `service_type = node_port`.",
    k8s: &["Service.spec.ports[http].nodePort"],
}];

/// Fields of a `job`.
pub static JOB_FIELDS: &[Field] = &[
    Field {
        name: "run",
        ty: Ty::Enum(RUN_PHASES),
        required: false,
        default: Some("before_deploy"),
        doc: "When the job runs: before workloads roll on every release (`before_deploy`), \
              on the first release only (`on_install`), after workloads rolled \
              (`after_deploy`), or only by hand (`manual`).",
        k8s: &["the release phase (see `kiln plan` and `--for`)"],
    },
    Field {
        name: "after",
        ty: Ty::List(&Ty::Ref(RefKind::Job)),
        required: false,
        default: Some("[]"),
        doc: "Jobs that must complete before this one starts. Cycles are rejected.",
        k8s: &["the release order"],
    },
    Field {
        name: "talks_to",
        ty: Ty::List(&Ty::Ref(RefKind::Workload)),
        required: false,
        default: Some("[]"),
        doc: "Workloads of the app the job opens connections to (a migration to its \
              database); their NetworkPolicies admit it.",
        k8s: &["NetworkPolicy.spec.ingress[].from[].podSelector"],
    },
    Field {
        name: "timeout",
        ty: Ty::Duration,
        required: false,
        default: Some("1h"),
        doc: "How long the job may run before it is stopped and the release fails.",
        k8s: &["Job.spec.activeDeadlineSeconds"],
    },
    Field {
        name: "retries",
        ty: COUNT,
        required: false,
        default: Some("1"),
        doc: "How many times a failed pod is retried.",
        k8s: &["Job.spec.backoffLimit"],
    },
    Field {
        name: "ttl",
        ty: Ty::Duration,
        required: false,
        default: Some("1d"),
        doc: "How long a finished job is kept before Kubernetes deletes it.",
        k8s: &["Job.spec.ttlSecondsAfterFinished"],
    },
    Field {
        name: "compatible",
        ty: Ty::Enum(COMPATIBLE),
        required: false,
        default: Some("previous"),
        doc: "Whether the previous release's code keeps working after this job ran \
              (`previous`: migrate, then roll), or not (`none`: scale down, migrate, \
              scale up — downtime).",
        k8s: &["the release plan"],
    },
];

/// Fields of a `cron`.
pub static CRON_FIELDS: &[Field] = &[
    Field {
        name: "schedule",
        ty: Ty::Cron,
        required: true,
        default: None,
        doc: "When it runs: five fields (minute hour day-of-month month day-of-week) with \
              ranges, steps, lists and month/day names, or `@hourly`, `@daily`, \
              `@weekly`, `@monthly`, `@yearly`.",
        k8s: &["CronJob.spec.schedule"],
    },
    Field {
        name: "timezone",
        ty: Ty::Str,
        required: false,
        default: Some("the controller's time zone (usually UTC)"),
        doc: "An IANA time zone name for the schedule: `\"Europe/Paris\"`.",
        k8s: &["CronJob.spec.timeZone"],
    },
    Field {
        name: "concurrency",
        ty: Ty::Enum(CONCURRENCY),
        required: false,
        default: Some("forbid"),
        doc: "What happens when a run is due while the previous one still runs: skip it, \
              run both, or replace the old one.",
        k8s: &["CronJob.spec.concurrencyPolicy"],
    },
    Field {
        name: "starting_deadline",
        ty: Ty::Duration,
        required: false,
        default: Some("5m"),
        doc: "How late a missed run may still start.",
        k8s: &["CronJob.spec.startingDeadlineSeconds"],
    },
    Field {
        name: "timeout",
        ty: Ty::Duration,
        required: false,
        default: Some("1h"),
        doc: "How long each run may take.",
        k8s: &["CronJob.spec.jobTemplate.spec.activeDeadlineSeconds"],
    },
    Field {
        name: "retries",
        ty: COUNT,
        required: false,
        default: Some("1"),
        doc: "How many times a failed run's pod is retried.",
        k8s: &["CronJob.spec.jobTemplate.spec.backoffLimit"],
    },
    Field {
        name: "keep_succeeded",
        ty: COUNT,
        required: false,
        default: Some("3"),
        doc: "How many finished runs are kept.",
        k8s: &["CronJob.spec.successfulJobsHistoryLimit"],
    },
    Field {
        name: "keep_failed",
        ty: COUNT,
        required: false,
        default: Some("1"),
        doc: "How many failed runs are kept.",
        k8s: &["CronJob.spec.failedJobsHistoryLimit"],
    },
    Field {
        name: "suspend",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Stop scheduling new runs.",
        k8s: &["CronJob.spec.suspend"],
    },
    Field {
        name: "talks_to",
        ty: Ty::List(&Ty::Ref(RefKind::Workload)),
        required: false,
        default: Some("[]"),
        doc: "Workloads of the app each run opens connections to; their NetworkPolicies \
              admit it.",
        k8s: &["NetworkPolicy.spec.ingress[].from[].podSelector"],
    },
];

/// Fields of `app`.
pub static APP_FIELDS: &[Field] = &[
    Field {
        name: "image",
        ty: Ty::Image,
        required: true,
        default: None,
        doc: "The default image of every container, pinned to a tag or a digest \
              (`\"registry.example.com/csis:1.4.2\"`). `:latest` and untagged references \
              are errors: a migration must run against exactly the image that will roll, \
              and a mutable tag can be re-pulled as a different image mid-release.",
        k8s: &["Container.image"],
    },
    Field {
        name: "namespace",
        ty: Ty::Name,
        required: false,
        default: Some("the app name"),
        doc: "The namespace every object goes to; kiln creates it, labelled for the \
              restricted Pod Security Standard. `${namespace}` in strings is this value.",
        k8s: &["Namespace.metadata.name", "metadata.namespace"],
    },
    Field {
        name: "pull_secrets",
        ty: Ty::List(&Ty::Name),
        required: false,
        default: Some("[]"),
        doc: "Existing Secrets holding registry credentials.",
        k8s: &["PodSpec.imagePullSecrets"],
    },
    Field {
        name: "version",
        ty: Ty::Str,
        required: false,
        default: Some("the image tag"),
        doc: "The version label on every object.",
        k8s: &["metadata.labels[app.kubernetes.io/version]"],
    },
    Field {
        name: "env_from",
        ty: Ty::List(&Ty::EnvFrom),
        required: false,
        default: Some("[]"),
        doc: "Whole Secrets or ConfigMaps whose keys become env vars in every container.",
        k8s: &["Container.envFrom"],
    },
    Field {
        name: "ingress_namespace",
        ty: Ty::Name,
        required: false,
        default: Some("ingress-nginx"),
        doc: "Where the ingress controller runs; the NetworkPolicies let it reach the \
              services that have an ingress.",
        k8s: &["NetworkPolicy.spec.ingress[].from[].namespaceSelector"],
    },
    Field {
        name: "restrict_egress",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Deny outgoing connections except DNS and `talks_to`.",
        k8s: &["NetworkPolicy.spec.egress"],
    },
];

/// Fields of `security`.
pub static SECURITY_FIELDS: &[Field] = &[
    Field {
        name: "run_as_root",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Let the container run as root (relaxation: a process escaping the container \
              is root on the node).",
        k8s: &["SecurityContext.runAsNonRoot"],
    },
    Field {
        name: "run_as_user",
        ty: ID,
        required: false,
        default: Some("10001"),
        doc: "The user id processes run as.",
        k8s: &["SecurityContext.runAsUser"],
    },
    Field {
        name: "run_as_group",
        ty: ID,
        required: false,
        default: Some("10001"),
        doc: "The primary group id processes run as.",
        k8s: &["SecurityContext.runAsGroup"],
    },
    Field {
        name: "fs_group",
        ty: ID,
        required: false,
        default: Some("10001"),
        doc: "The group that owns mounted volumes.",
        k8s: &["PodSecurityContext.fsGroup"],
    },
    Field {
        name: "writable_root",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Make the root filesystem writable (relaxation: an attacker can alter the \
              container's binaries and persist until the pod restarts).",
        k8s: &["SecurityContext.readOnlyRootFilesystem"],
    },
    Field {
        name: "add_capabilities",
        ty: Ty::List(&Ty::Capability),
        required: false,
        default: Some("[] (all dropped)"),
        doc: "Linux capabilities added back after dropping ALL (relaxation).",
        k8s: &["SecurityContext.capabilities.add"],
    },
    Field {
        name: "privileged",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Run privileged (relaxation: full access to the node's devices and kernel).",
        k8s: &["SecurityContext.privileged"],
    },
    Field {
        name: "privilege_escalation",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Allow setuid binaries to gain privileges (relaxation).",
        k8s: &["SecurityContext.allowPrivilegeEscalation"],
    },
    Field {
        name: "service_account_token",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Mount the ServiceAccount token (relaxation: anyone who compromises the pod \
              can call the Kubernetes API as the app).",
        k8s: &["PodSpec.automountServiceAccountToken"],
    },
    Field {
        name: "mutable_tag",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Accept an unpinned image (`:latest` or no tag) with a warning instead of an \
              error.",
        k8s: &[],
    },
];

/// Fields of `autoscale`.
pub static AUTOSCALE_FIELDS: &[Field] = &[
    Field {
        name: "min",
        ty: Ty::Int {
            min: 1,
            max: 10_000,
        },
        required: true,
        default: None,
        doc: "The fewest replicas.",
        k8s: &["HorizontalPodAutoscaler.spec.minReplicas"],
    },
    Field {
        name: "max",
        ty: Ty::Int {
            min: 1,
            max: 10_000,
        },
        required: true,
        default: None,
        doc: "The most replicas; at least `min`.",
        k8s: &["HorizontalPodAutoscaler.spec.maxReplicas"],
    },
    Field {
        name: "cpu",
        ty: Ty::Percent,
        required: false,
        default: Some("80% when `memory` is not set"),
        doc: "Target average CPU utilisation, relative to the CPU request.",
        k8s: &["HorizontalPodAutoscaler.spec.metrics[cpu].resource.target.averageUtilization"],
    },
    Field {
        name: "memory",
        ty: Ty::Percent,
        required: false,
        default: None,
        doc: "Target average memory utilisation, relative to the memory request.",
        k8s: &["HorizontalPodAutoscaler.spec.metrics[memory].resource.target.averageUtilization"],
    },
];

const INGRESS_HOST: Field = Field {
    name: "host",
    ty: Ty::Host,
    required: true,
    default: None,
    doc: "The public host name.",
    k8s: &["Ingress.spec.rules[].host"],
};
const INGRESS_TLS: Field = Field {
    name: "tls",
    ty: Ty::Name,
    required: false,
    default: Some("no TLS (a warning)"),
    doc: "The Secret holding the certificate and key.",
    k8s: &["Ingress.spec.tls[].secretName"],
};
const INGRESS_ALLOW: Field = Field {
    name: "allow",
    ty: Ty::List(&Ty::Cidr),
    required: false,
    default: Some("everyone"),
    doc: "Source address ranges allowed in (an office range, a VPN).",
    k8s: &["Ingress.metadata.annotations[nginx.ingress.kubernetes.io/whitelist-source-range]"],
};
const INGRESS_CLASS: Field = Field {
    name: "class",
    ty: Ty::Str,
    required: false,
    default: Some("nginx"),
    doc: "The ingress class.",
    k8s: &["Ingress.spec.ingressClassName"],
};

/// Fields of a service's `ingress`.
pub static INGRESS_FIELDS: &[Field] = &[
    INGRESS_HOST,
    Field {
        name: "path",
        ty: Ty::Path,
        required: false,
        default: Some("/"),
        doc: "The path prefix routed to the service.",
        k8s: &["Ingress.spec.rules[].http.paths[].path"],
    },
    INGRESS_TLS,
    INGRESS_ALLOW,
    INGRESS_CLASS,
];

/// Fields of the app-level `ingress`.
pub static APP_INGRESS_FIELDS: &[Field] =
    &[INGRESS_HOST, INGRESS_TLS, INGRESS_ALLOW, INGRESS_CLASS];

/// Fields of a `health { }` block.
pub static HEALTH_FIELDS: &[Field] = &[
    Field {
        name: "readiness",
        ty: Ty::Probe,
        required: true,
        default: None,
        doc: "When the pod may receive traffic.",
        k8s: &["Container.readinessProbe"],
    },
    Field {
        name: "liveness",
        ty: Ty::Probe,
        required: false,
        default: Some("the readiness probe"),
        doc: "When the container is restarted; `none` disables it.",
        k8s: &["Container.livenessProbe"],
    },
    Field {
        name: "startup",
        ty: Ty::Probe,
        required: false,
        default: None,
        doc: "Holds the other probes back until a slow starter is up.",
        k8s: &["Container.startupProbe"],
    },
    Field {
        name: "initial_delay",
        ty: Ty::Duration,
        required: false,
        default: Some("0 (liveness: 30s, or 0 with a startup probe)"),
        doc: "Wait before the first check.",
        k8s: &["Probe.initialDelaySeconds"],
    },
    Field {
        name: "period",
        ty: Ty::Duration,
        required: false,
        default: Some("10s"),
        doc: "Time between checks.",
        k8s: &["Probe.periodSeconds"],
    },
    Field {
        name: "timeout",
        ty: Ty::Duration,
        required: false,
        default: Some("3s"),
        doc: "How long one check may take.",
        k8s: &["Probe.timeoutSeconds"],
    },
    Field {
        name: "failures",
        ty: Ty::Int { min: 1, max: 1000 },
        required: false,
        default: Some("3 (startup: 30)"),
        doc: "Consecutive failures before the probe counts as failed.",
        k8s: &["Probe.failureThreshold"],
    },
];

/// Fields of `volume`.
pub static VOLUME_FIELDS: &[Field] = &[
    Field {
        name: "mount",
        ty: Ty::Path,
        required: true,
        default: None,
        doc: "Where the volume is mounted in the container (an absolute path).",
        k8s: &["Container.volumeMounts[].mountPath"],
    },
    Field {
        name: "read_only",
        ty: Ty::Bool,
        required: false,
        default: Some("false"),
        doc: "Mount read-only.",
        k8s: &["Container.volumeMounts[].readOnly"],
    },
    Field {
        name: "size",
        ty: Ty::Memory,
        required: false,
        default: None,
        doc: "Source: a new PersistentVolumeClaim of this size (for `stateful`, one claim \
              per pod).",
        k8s: &[
            "PersistentVolumeClaim.spec.resources.requests.storage",
            "StatefulSet.spec.volumeClaimTemplates",
        ],
    },
    Field {
        name: "storage_class",
        ty: Ty::Str,
        required: false,
        default: Some("the cluster's default class"),
        doc: "The storage class of the claim (only with `size`).",
        k8s: &["PersistentVolumeClaim.spec.storageClassName"],
    },
    Field {
        name: "claim",
        ty: Ty::Name,
        required: false,
        default: None,
        doc: "Source: an existing PersistentVolumeClaim.",
        k8s: &["Volume.persistentVolumeClaim.claimName"],
    },
    Field {
        name: "secret",
        ty: Ty::Name,
        required: false,
        default: None,
        doc: "Source: an existing Secret, its keys as files.",
        k8s: &["Volume.secret.secretName"],
    },
    Field {
        name: "config_map",
        ty: Ty::Name,
        required: false,
        default: None,
        doc: "Source: an existing ConfigMap, its keys as files.",
        k8s: &["Volume.configMap.name"],
    },
    Field {
        name: "files",
        ty: Ty::List(&Ty::File),
        required: false,
        default: None,
        doc: "Source: local files read at compile time into a ConfigMap named after their \
              content: `[file(\"nginx.conf\")]`.",
        k8s: &["ConfigMap.data", "Volume.configMap"],
    },
    Field {
        name: "host_path",
        ty: Ty::Path,
        required: false,
        default: None,
        doc: "Source: a directory of the node (relaxation: the pod reads, and unless \
              `read_only` writes, the node's files).",
        k8s: &["Volume.hostPath.path"],
    },
    Field {
        name: "size_limit",
        ty: Ty::Memory,
        required: false,
        default: None,
        doc: "For scratch space (no source): the most it may hold.",
        k8s: &["Volume.emptyDir.sizeLimit"],
    },
];

/// Fields of `raw`.
pub static RAW_FIELDS: &[Field] = &[Field {
    name: "file",
    ty: Ty::File,
    required: true,
    default: None,
    doc: "A YAML or JSON file holding one Kubernetes object with `apiVersion`, `kind` \
          and `metadata.name`.",
    k8s: &["the object itself"],
}];

// ---- blocks ----------------------------------------------------------------------------

const fn one(block: &'static BlockSchema) -> Child {
    Child {
        block,
        many: false,
        required: false,
    }
}

const fn many(block: &'static BlockSchema) -> Child {
    Child {
        block,
        many: true,
        required: false,
    }
}

/// `env { }`.
pub static ENV: BlockSchema = BlockSchema {
    id: "env",
    kind: "env",
    title: "env",
    doc: "Environment variables. In `app`, shared by every container; in a workload, job, \
          cron, sidecar or init container, added to or overriding the app's. Plain values \
          go to a ConfigMap named after a hash of its content (a change rolls the pods); \
          `secret(..)` values are references, never copied.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::EnvName,
        value: Ty::EnvValue,
        dotted: false,
    }),
    children: &[],
    k8s: "ConfigMap (plain values, via `envFrom`), `Container.env[].valueFrom`",
};

/// `labels { }`.
pub static LABELS: BlockSchema = BlockSchema {
    id: "labels",
    kind: "labels",
    title: "labels",
    doc: "Extra labels on every object generated from the enclosing block. Keys may be \
          quoted: `\"team.example.com/owner\" = \"payments\"`.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::LabelKey,
        value: Ty::Str,
        dotted: false,
    }),
    children: &[],
    k8s: "`metadata.labels`",
};

/// `annotations { }`.
pub static ANNOTATIONS: BlockSchema = BlockSchema {
    id: "annotations",
    kind: "annotations",
    title: "annotations",
    doc: "Extra annotations on every object generated from the enclosing block.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::AnnotationKey,
        value: Ty::Str,
        dotted: false,
    }),
    children: &[],
    k8s: "`metadata.annotations`",
};

/// `node_selector { }`.
pub static NODE_SELECTOR: BlockSchema = BlockSchema {
    id: "node_selector",
    kind: "node_selector",
    title: "node_selector",
    doc: "Node labels the pods must run on: `\"kubernetes.io/arch\" = \"arm64\"`.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::LabelKey,
        value: Ty::Str,
        dotted: false,
    }),
    children: &[],
    k8s: "`PodSpec.nodeSelector`",
};

/// `security { }`.
pub static SECURITY: BlockSchema = BlockSchema {
    id: "security",
    kind: "security",
    title: "security",
    doc: "Relaxations of kiln's secure defaults (non-root, read-only root filesystem, all \
          capabilities dropped, no privilege escalation, no API token, pinned images). In \
          `app`, for every container; in a container-bearing block, for it only. Every \
          relaxation is reported as a warning naming its risk.",
    naming: Naming::Anonymous,
    fields: &[SECURITY_FIELDS],
    requires: &[],
    free: None,
    children: &[],
    k8s: "`PodSpec.securityContext`, `Container.securityContext`",
};

/// `ports { }`.
pub static PORTS: BlockSchema = BlockSchema {
    id: "ports",
    kind: "ports",
    title: "ports",
    doc: "Extra named container ports besides `port` (which is named `http`): \
          `ports { metrics = 9090 }`.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::PortName,
        value: Ty::Port,
        dotted: false,
    }),
    children: &[],
    k8s: "`Container.ports`, `Service.spec.ports`",
};

/// `health { }`.
pub static HEALTH: BlockSchema = BlockSchema {
    id: "health_block",
    kind: "health",
    title: "health",
    doc: "Distinct probes and timings, when `health = probe` is not enough.",
    naming: Naming::Anonymous,
    fields: &[HEALTH_FIELDS],
    requires: &[],
    free: None,
    children: &[],
    k8s: "`Container.readinessProbe`, `livenessProbe`, `startupProbe`",
};

/// `autoscale { }`.
pub static AUTOSCALE: BlockSchema = BlockSchema {
    id: "autoscale",
    kind: "autoscale",
    title: "autoscale",
    doc: "Horizontal autoscaling on CPU and/or memory utilisation.",
    naming: Naming::Anonymous,
    fields: &[AUTOSCALE_FIELDS],
    requires: &[],
    free: None,
    children: &[],
    k8s: "HorizontalPodAutoscaler (autoscaling/v2)",
};

/// A service's `ingress { }`.
pub static INGRESS: BlockSchema = BlockSchema {
    id: "ingress",
    kind: "ingress",
    title: "ingress (in a service)",
    doc: "Routes a host (and path prefix) to this service from outside the cluster.",
    naming: Naming::Anonymous,
    fields: &[INGRESS_FIELDS],
    requires: &[],
    free: None,
    children: &[],
    k8s: "Ingress, and a NetworkPolicy letting the ingress controller in",
};

/// `routes { }` of the app-level ingress.
pub static ROUTES: BlockSchema = BlockSchema {
    id: "routes",
    kind: "routes",
    title: "routes",
    doc: "Path prefixes of the app-level ingress and the service each goes to: \
          `\"/\" = web  \"/api/v1/streaming/\" = streaming`.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::UrlPath,
        value: Ty::Ref(RefKind::Service),
        dotted: false,
    }),
    children: &[],
    k8s: "`Ingress.spec.rules[].http.paths`",
};

/// The app-level `ingress { }`.
pub static APP_INGRESS: BlockSchema = BlockSchema {
    id: "app_ingress",
    kind: "ingress",
    title: "ingress (in an app)",
    doc: "One host whose paths go to several services of the app.",
    naming: Naming::Anonymous,
    fields: &[APP_INGRESS_FIELDS],
    requires: &[],
    free: None,
    children: &[Child {
        block: &ROUTES,
        many: false,
        required: true,
    }],
    k8s: "Ingress, and NetworkPolicies letting the ingress controller in",
};

/// `patch KIND { }`.
pub static PATCH: BlockSchema = BlockSchema {
    id: "patch",
    kind: "patch",
    title: "patch",
    doc: "Sets fields of a generated object after kiln's defaults, for what the language \
          does not cover: `patch deployment { spec.template.spec.priorityClassName = \
          \"high\" }`. `= none` removes a field. The name is the lowercase object kind.",
    naming: Naming::Target,
    fields: &[],
    requires: &[],
    free: Some(FreeKeys {
        key: KeyTy::ObjectPath,
        value: Ty::Json,
        dotted: true,
    }),
    children: &[],
    k8s: "the targeted object",
};

/// `volume NAME { }`.
pub static VOLUME: BlockSchema = BlockSchema {
    id: "volume",
    kind: "volume",
    title: "volume",
    doc: "A volume mounted into the workload's main container (sidecars list it in \
          `mounts`). At most one source: `size`, `claim`, `secret`, `config_map`, \
          `files` or `host_path`; none means scratch space.",
    naming: Naming::Named,
    fields: &[VOLUME_FIELDS],
    requires: &[],
    free: None,
    children: &[],
    k8s: "`PodSpec.volumes`, `Container.volumeMounts`, PersistentVolumeClaim",
};

const CONTAINER_CHILDREN: &[Child] = &[one(&ENV), one(&SECURITY), one(&PORTS), one(&HEALTH)];

/// `sidecar NAME { }`.
pub static SIDECAR: BlockSchema = BlockSchema {
    id: "sidecar",
    kind: "sidecar",
    title: "sidecar",
    doc: "An extra container running beside the main one in every pod (a proxy, a log \
          forwarder).",
    naming: Naming::Named,
    fields: &[CONTAINER_FIELDS, PROBE_FIELDS, MOUNT_FIELDS],
    requires: &[],
    free: None,
    children: CONTAINER_CHILDREN,
    k8s: "`PodSpec.containers[]`",
};

/// `init NAME { }`.
pub static INIT: BlockSchema = BlockSchema {
    id: "init",
    kind: "init",
    title: "init",
    doc: "A container that runs to completion before the main one starts, in order of \
          declaration. Init containers have no `health`: Kubernetes allows them no probes.",
    naming: Naming::Named,
    fields: &[CONTAINER_FIELDS, MOUNT_FIELDS],
    requires: &[],
    free: None,
    children: &[one(&ENV), one(&SECURITY), one(&PORTS)],
    k8s: "`PodSpec.initContainers[]`",
};

/// `service NAME { }`.
pub static SERVICE: BlockSchema = BlockSchema {
    id: "service",
    kind: "service",
    title: "service",
    doc: "A long-running workload that receives traffic: a Deployment behind a Service, \
          with a PodDisruptionBudget when replicated, an optional HorizontalPodAutoscaler \
          and Ingress, and NetworkPolicies.",
    naming: Naming::Named,
    fields: &[
        CONTAINER_FIELDS,
        PROBE_FIELDS,
        REPLICA_FIELDS,
        EXPOSE_FIELDS,
        NODE_PORT_FIELDS,
        WORKLOAD_FIELDS,
    ],
    requires: &["port"],
    free: None,
    children: &[
        one(&ENV),
        one(&SECURITY),
        one(&PORTS),
        one(&HEALTH),
        one(&AUTOSCALE),
        one(&INGRESS),
        many(&SIDECAR),
        many(&INIT),
        many(&VOLUME),
        one(&NODE_SELECTOR),
        one(&LABELS),
        one(&ANNOTATIONS),
        many(&PATCH),
    ],
    k8s: "Deployment, Service, PodDisruptionBudget, HorizontalPodAutoscaler, Ingress, \
          NetworkPolicy",
};

/// `worker NAME { }`.
pub static WORKER: BlockSchema = BlockSchema {
    id: "worker",
    kind: "worker",
    title: "worker",
    doc: "A long-running workload that receives no traffic (a queue consumer): a \
          Deployment without a Service.",
    naming: Naming::Named,
    fields: &[
        CONTAINER_FIELDS,
        PROBE_FIELDS,
        REPLICA_FIELDS,
        WORKLOAD_FIELDS,
    ],
    requires: &[],
    free: None,
    children: &[
        one(&ENV),
        one(&SECURITY),
        one(&PORTS),
        one(&HEALTH),
        one(&AUTOSCALE),
        many(&SIDECAR),
        many(&INIT),
        many(&VOLUME),
        one(&NODE_SELECTOR),
        one(&LABELS),
        one(&ANNOTATIONS),
        many(&PATCH),
    ],
    k8s: "Deployment, PodDisruptionBudget, HorizontalPodAutoscaler, NetworkPolicy",
};

/// `stateful NAME { }`.
pub static STATEFUL: BlockSchema = BlockSchema {
    id: "stateful",
    kind: "stateful",
    title: "stateful",
    doc: "A workload whose pods keep their identity and storage: a StatefulSet with a \
          headless Service and one claim per pod for each sized `volume`.",
    naming: Naming::Named,
    fields: &[
        CONTAINER_FIELDS,
        PROBE_FIELDS,
        REPLICA_FIELDS,
        EXPOSE_FIELDS,
        WORKLOAD_FIELDS,
    ],
    requires: &["port"],
    free: None,
    children: &[
        one(&ENV),
        one(&SECURITY),
        one(&PORTS),
        one(&HEALTH),
        one(&AUTOSCALE),
        one(&INGRESS),
        many(&SIDECAR),
        many(&INIT),
        many(&VOLUME),
        one(&NODE_SELECTOR),
        one(&LABELS),
        one(&ANNOTATIONS),
        many(&PATCH),
    ],
    k8s: "StatefulSet, Service (headless), PodDisruptionBudget, NetworkPolicy",
};

/// `daemon NAME { }`.
pub static DAEMON: BlockSchema = BlockSchema {
    id: "daemon",
    kind: "daemon",
    title: "daemon",
    doc: "One pod on every node (log shippers, node agents): a DaemonSet. It has no \
          `replicas` and no `autoscale`.",
    naming: Naming::Named,
    fields: &[CONTAINER_FIELDS, PROBE_FIELDS, WORKLOAD_FIELDS],
    requires: &[],
    free: None,
    children: &[
        one(&ENV),
        one(&SECURITY),
        one(&PORTS),
        one(&HEALTH),
        many(&SIDECAR),
        many(&INIT),
        many(&VOLUME),
        one(&NODE_SELECTOR),
        one(&LABELS),
        one(&ANNOTATIONS),
        many(&PATCH),
    ],
    k8s: "DaemonSet, NetworkPolicy",
};

const RUN_TO_COMPLETION_CHILDREN: &[Child] = &[
    one(&ENV),
    one(&SECURITY),
    many(&VOLUME),
    one(&NODE_SELECTOR),
    one(&LABELS),
    one(&ANNOTATIONS),
    many(&PATCH),
];

/// `job NAME { }`.
pub static JOB: BlockSchema = BlockSchema {
    id: "job",
    kind: "job",
    title: "job",
    doc: "A task run to completion as part of a release (`db:migrate`, `db:seed`). Jobs \
          are immutable in Kubernetes, so each release's Job is named `{app}-{job}-{hash}` \
          after what it runs, and is deleted after `ttl`.",
    naming: Naming::Named,
    fields: &[CONTAINER_FIELDS, PROBE_FIELDS, JOB_FIELDS],
    requires: &[],
    free: None,
    children: RUN_TO_COMPLETION_CHILDREN,
    k8s: "Job",
};

/// `cron NAME { }`.
pub static CRON: BlockSchema = BlockSchema {
    id: "cron",
    kind: "cron",
    title: "cron",
    doc: "A task run on a schedule.",
    naming: Naming::Named,
    fields: &[CONTAINER_FIELDS, PROBE_FIELDS, CRON_FIELDS],
    requires: &[],
    free: None,
    children: RUN_TO_COMPLETION_CHILDREN,
    k8s: "CronJob",
};

/// `raw NAME { }`.
pub static RAW: BlockSchema = BlockSchema {
    id: "raw",
    kind: "raw",
    title: "raw",
    doc: "A Kubernetes object carried through unchanged (a custom resource such as a \
          cloud provider's BackendConfig); its namespace is set to the app's if absent.",
    naming: Naming::Named,
    fields: &[RAW_FIELDS],
    requires: &[],
    free: None,
    children: &[],
    k8s: "the object in the file",
};

/// `app NAME { }`.
pub static APP: BlockSchema = BlockSchema {
    id: "app",
    kind: "app",
    title: "app",
    doc: "One application: its image, environment, workloads, jobs and schedules. Every \
          object it generates is named `{app}-{block}` and lives in its namespace. Names \
          of the blocks inside are unique across the app.",
    naming: Naming::Named,
    fields: &[APP_FIELDS],
    requires: &[],
    free: None,
    children: &[
        one(&ENV),
        one(&LABELS),
        one(&ANNOTATIONS),
        one(&SECURITY),
        one(&APP_INGRESS),
        many(&SERVICE),
        many(&WORKER),
        many(&STATEFUL),
        many(&DAEMON),
        many(&JOB),
        many(&CRON),
        many(&RAW),
    ],
    k8s: "Namespace, ServiceAccount, ConfigMap, NetworkPolicy, and the objects of its blocks",
};

/// The top level of a file: only `app` blocks (besides `let`, `profile`, `import` and
/// `template`, which are not blocks).
pub static FILE: BlockSchema = BlockSchema {
    id: "file",
    kind: "file",
    title: "file",
    doc: "A `.kiln` file: `app` blocks, `let` bindings and `profile`s.",
    naming: Naming::Anonymous,
    fields: &[],
    requires: &[],
    free: None,
    children: &[many(&APP)],
    k8s: "the bundle",
};

/// Every block schema, in the order the reference documents them.
pub static BLOCKS: &[&BlockSchema] = &[
    &APP,
    &ENV,
    &LABELS,
    &ANNOTATIONS,
    &SECURITY,
    &SERVICE,
    &WORKER,
    &STATEFUL,
    &DAEMON,
    &JOB,
    &CRON,
    &SIDECAR,
    &INIT,
    &VOLUME,
    &PORTS,
    &HEALTH,
    &AUTOSCALE,
    &INGRESS,
    &APP_INGRESS,
    &ROUTES,
    &NODE_SELECTOR,
    &PATCH,
    &RAW,
];

/// A block schema by id (`service`, `app_ingress`, `health_block`) or, failing that, by
/// the kind written in source (the first schema of that kind: `ingress` is a service's).
pub fn block(id: &str) -> Option<&'static BlockSchema> {
    BLOCKS
        .iter()
        .find(|b| b.id == id)
        .or_else(|| BLOCKS.iter().find(|b| b.kind == id))
        .copied()
}

/// A field of a block, by block id (or kind) and field name.
pub fn field(block_id: &str, name: &str) -> Option<&'static Field> {
    block(block_id)?.field(name)
}

/// The schema of a block of `kind` written inside a block of `parent_id` (`ingress` in
/// `app` is the app-level ingress).
pub fn child(parent_id: &str, kind: &str) -> Option<&'static BlockSchema> {
    block(parent_id)?.child(kind).map(|c| c.block)
}

/// The block kinds that have a field called `name` (for "`replicas` is a field of
/// `service`, `worker`, `stateful`" hints). Only called on the error path.
pub fn blocks_with_field(name: &str) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = BLOCKS
        .iter()
        .filter(|b| b.field(name).is_some())
        .map(|b| b.kind)
        .collect();
    kinds.dedup();
    kinds
}

/// The block kinds that allow a child block of `kind`.
pub fn blocks_with_child(kind: &str) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = std::iter::once(&&FILE)
        .chain(BLOCKS.iter())
        .filter(|b| b.child(kind).is_some())
        .map(|b| b.kind)
        .collect();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(block("service").map(|b| b.kind), Some("service"));
        assert_eq!(child("app", "ingress").map(|b| b.id), Some("app_ingress"));
        assert_eq!(child("service", "ingress").map(|b| b.id), Some("ingress"));
        assert_eq!(
            child("service", "health").map(|b| b.id),
            Some("health_block")
        );
        assert!(field("service", "replicas").is_some());
        assert!(field("daemon", "replicas").is_none());
        assert_eq!(
            field("job", "run").map(|f| f.ty),
            Some(Ty::Enum(RUN_PHASES))
        );
        assert_eq!(blocks_with_field("schedule"), vec!["cron"]);
    }

    #[test]
    fn ids_unique_and_docs_present() {
        let mut ids: Vec<&str> = BLOCKS.iter().map(|b| b.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for b in BLOCKS {
            assert!(!b.doc.is_empty(), "{}", b.id);
            let mut names: Vec<&str> = b.fields().map(|f| f.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(names.len(), n, "duplicate field in {}", b.id);
            for f in b.fields() {
                assert!(!f.doc.is_empty(), "{}.{}", b.id, f.name);
            }
            for r in b.requires {
                assert!(b.field(r).is_some(), "{}: requires unknown {r}", b.id);
            }
        }
    }
}
