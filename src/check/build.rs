//! Checked trees → the typed [`model`](super::model), with the checks that need more
//! than one field: references between blocks (`after`, `talks_to`, `routes`,
//! `mounts`), cycles in `after`, name lengths once prefixed, port and mount clashes,
//! volume sources, `min <= max`; and the warnings about relaxations and risks.
//!
//! Every lookup is by hash map, per app: checking 1,000 apps is 1,000 times checking one.

use super::model::*;
use super::schema::{Naming, RefKind};
use super::types::{CBlock, ImageVal, Sp, Val};
use super::values;
use super::{Checker, SmallMap};
use crate::diag::{Diagnostic, Severity, codes};
use crate::source::{Loc, Span};
use indexmap::IndexMap;
use std::collections::HashMap;

/// What the blocks of an app need to know about the app.
struct AppCx<'a> {
    /// Named blocks of the app: name → (kind, where the name is). An app has a handful:
    /// inline, without hashing (a hash map past [`SmallMap`]'s inline size).
    names: SmallMap<'a, (&'static str, Span)>,
    /// Where `mutable_tag = true` is set at the app level.
    mutable: Option<Span>,
    /// Names a reference of each [`RefKind`] may take, sorted (so that suggestions do
    /// not depend on hash order); computed once, on the first unknown reference.
    candidates: [std::cell::OnceCell<Vec<&'a str>>; 4],
}

impl<'a> AppCx<'a> {
    fn candidates(&self, kind: RefKind) -> &[&'a str] {
        let i = match kind {
            RefKind::Job => 0,
            RefKind::Workload => 1,
            RefKind::Service => 2,
            RefKind::Volume => 3,
        };
        self.candidates[i].get_or_init(|| {
            let mut v: Vec<&'a str> = self
                .names
                .iter()
                .filter(|(_, (k, _))| ref_accepts(kind, k))
                .map(|(n, _)| n)
                .collect();
            v.sort_unstable();
            v
        })
    }
}

/// A port declared by a container, for clash checks across the pod.
struct PortDecl<'a> {
    /// Borrowed (`http` or a key of `ports`): no copy per container.
    name: &'a str,
    number: u16,
    span: Span,
}

fn strs(v: Option<&Val>) -> Vec<String> {
    match v {
        Some(Val::List(items)) => {
            // Sized to the list (a checked list holds only strings here): `collect` on a
            // `filter_map` starts at four and the model keeps the slack until the end.
            let mut out = Vec::with_capacity(items.len());
            out.extend(items.iter().filter_map(|i| match &i.v {
                Val::Str(s) => Some(s.to_string()),
                _ => None,
            }));
            out
        }
        _ => Vec::new(),
    }
}

fn str_of(v: Option<&Val>) -> Option<String> {
    match v {
        Some(Val::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn bool_of(v: Option<&Val>) -> Option<bool> {
    match v {
        Some(Val::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn u32_of(v: Option<&Val>) -> Option<u32> {
    match v {
        Some(Val::Int(i)) => u32::try_from(*i).ok(),
        _ => None,
    }
}

fn duration_of(v: Option<&Val>) -> Option<Duration> {
    match v {
        Some(Val::Duration(d)) => Some(*d),
        _ => None,
    }
}

fn port_of(v: Option<&Val>) -> Option<u16> {
    match v {
        Some(Val::Port(p)) => Some(*p),
        _ => None,
    }
}

fn enum_of(v: Option<&Val>) -> Option<&'static str> {
    match v {
        Some(Val::Enum(w)) => Some(w),
        _ => None,
    }
}

fn refs(v: Option<&Val>) -> Vec<(String, Span)> {
    match v {
        Some(Val::List(items)) => items
            .iter()
            .filter_map(|Sp { v, span }| match v {
                Val::Ref(r) => Some((r.clone(), *span)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn string_map(b: Option<&CBlock<'_>>) -> IndexMap<String, String> {
    let mut m = IndexMap::new();
    if let Some(b) = b {
        m.reserve(b.fields.len());
        for f in &b.fields {
            if let Val::Str(s) = &f.val {
                m.insert(f.key.to_string(), s.to_string());
            }
        }
    }
    m
}

fn cpu_range(v: Option<&Val>) -> Option<Range<Cpu>> {
    match v {
        Some(Val::Range(a, b)) => match (&a.v, &b.v) {
            (Val::Cpu(x), Val::Cpu(y)) => Some(Range {
                min: x.clone(),
                max: y.clone(),
            }),
            _ => None,
        },
        _ => None,
    }
}

fn memory_range(v: Option<&Val>) -> Option<Range<Memory>> {
    match v {
        Some(Val::Range(a, b)) => match (&a.v, &b.v) {
            (Val::Memory(x), Val::Memory(y)) => Some(Range {
                min: x.clone(),
                max: y.clone(),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The kinds a reference of `kind` may name.
fn ref_accepts(kind: RefKind, block_kind: &str) -> bool {
    match kind {
        RefKind::Job => block_kind == "job",
        RefKind::Workload => matches!(block_kind, "service" | "worker" | "stateful" | "daemon"),
        RefKind::Service => matches!(block_kind, "service" | "stateful"),
        RefKind::Volume => block_kind == "volume",
    }
}

impl<'a> Checker<'a> {
    fn loc(&self, span: Span) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }

    /// Builds one app's model; None if the app has no usable name.
    pub(crate) fn build_app(&mut self, app: &CBlock<'a>) -> Option<App> {
        let (name, name_span) = app.name?;
        let mut names: SmallMap<'a, (&'static str, Span)> = SmallMap::default();
        for c in app.live() {
            if c.schema.naming != Naming::Named {
                continue;
            }
            let Some((n, sp)) = c.name else { continue };
            if let Some((kind, first)) = names.get(n) {
                self.emit(
                    Diagnostic::new(
                        codes::DUPLICATE_NAME,
                        self.file,
                        sp,
                        format!("`{n}` is already declared in app `{name}`"),
                    )
                    .label(format!("second `{n}`"))
                    .secondary(self.file, first, format!("first declared here as a `{kind}`"))
                    .help(format!(
                        "names are unique across an app (objects are named `{name}-{{name}}`): rename one"
                    )),
                );
                continue;
            }
            names.insert(n, (c.schema.kind, sp));
            self.check_prefixed_len(name, name_span, c);
        }
        let app_sec = app.child("security");
        let security = self.security(app_sec);
        let cx = AppCx {
            names,
            mutable: mutable_span(app_sec),
            candidates: Default::default(),
        };

        let image = match app.val("image") {
            Some(Val::Image(iv)) => {
                self.check_pinned(iv, cx.mutable);
                iv.image.clone()
            }
            _ => Image {
                reference: String::new(),
                repository: String::new(),
                tag: None,
                digest: None,
                loc: self.loc(app.header),
            },
        };

        let mut out = App {
            name: name.to_string(),
            loc: self.loc(app.header),
            namespace: str_of(app.val("namespace")).unwrap_or_else(|| name.to_string()),
            image,
            pull_secrets: strs(app.val("pull_secrets")),
            version: str_of(app.val("version")),
            env: self.env(app.child("env"), app.val("env_from")),
            labels: string_map(app.child("labels")),
            annotations: string_map(app.child("annotations")),
            security,
            workloads: Vec::new(),
            jobs: Vec::new(),
            crons: Vec::new(),
            ingress: None,
            ingress_namespace: str_of(app.val("ingress_namespace"))
                .unwrap_or_else(|| "ingress-nginx".to_string()),
            raw: Vec::new(),
            restrict_egress: bool_of(app.val("restrict_egress")).unwrap_or(false),
        };

        let mut job_blocks: Vec<&CBlock<'a>> = Vec::new();
        for c in app.live() {
            match c.schema.id {
                "service" | "worker" | "stateful" | "daemon" => {
                    let w = self.workload(c, &cx);
                    out.workloads.push(w);
                }
                "job" => {
                    let j = self.job(c, &cx);
                    out.jobs.push(j);
                    job_blocks.push(c);
                }
                "cron" => {
                    let cr = self.cron(c, &cx);
                    out.crons.push(cr);
                }
                "raw" => {
                    if let Some(r) = self.raw(c) {
                        out.raw.push(r);
                    }
                }
                _ => {}
            }
        }
        self.job_order(&mut out.jobs, &job_blocks, &cx);
        if let Some(ing) = app.child("ingress") {
            out.ingress = Some(self.app_ingress(ing, &cx));
        }
        Some(out)
    }

    fn check_prefixed_len(&mut self, app: &str, app_span: Span, c: &CBlock<'a>) {
        let Some((n, sp)) = c.name else { return };
        if !values::is_dns_label(n) {
            return;
        }
        let (limit, extra, why) = match c.schema.id {
            "service" | "worker" | "daemon" => (63, 0, ""),
            "job" => (63, 9, " with the release hash Jobs get (`-1a2b3c4d`)"),
            "cron" => (52, 0, ""),
            "stateful" => (52, 0, ""),
            _ => return,
        };
        let len = app.len() + 1 + n.len() + extra;
        if len <= limit {
            return;
        }
        let full = format!("{app}-{n}");
        let help = match c.schema.id {
            "cron" => format!(
                "CronJob names are limited to 52 characters, because the controller appends 11 to name each run's Job: shorten `{n}` by {} or the app name",
                len - limit
            ),
            "stateful" => format!(
                "StatefulSet names are limited to 52 characters, because the controller appends a revision hash to a 63-character label: shorten `{n}` by {} or the app name",
                len - limit
            ),
            _ => format!(
                "shorten `{n}` by {} characters, or the app name",
                len - limit
            ),
        };
        self.emit(
            Diagnostic::new(
                codes::PREFIXED_NAME_TOO_LONG,
                self.file,
                sp,
                format!(
                    "`{full}` is {len} characters{why}, more than the {limit} Kubernetes allows for a {}",
                    c.schema.kind
                ),
            )
            .label("name too long once prefixed")
            .secondary(self.file, app_span, "the app name prefixes every object name")
            .help(help),
        );
    }

    /// Reports an image without a tag or digest (or `:latest`): an error, or a warning
    /// naming the risk when `mutable_tag = true` (at `mutable`) accepts it.
    fn check_pinned(&mut self, iv: &ImageVal, mutable: Option<Span>) {
        let img = &iv.image;
        if img.digest.is_some() || img.tag.as_deref().is_some_and(|t| t != "latest") {
            return;
        }
        let (span, message, label) = match &img.tag {
            Some(_) => (
                iv.tag_span.unwrap_or(img.loc.span),
                format!("image `{}` uses the mutable tag `latest`", img.reference),
                "mutable tag",
            ),
            None => (
                img.loc.span,
                format!("image `{}` has no tag or digest", img.reference),
                "unpinned: Kubernetes pulls `:latest`",
            ),
        };
        let mut d = Diagnostic::new(codes::UNPINNED_IMAGE, self.file, span, message).label(label);
        d = match mutable {
            Some(ms) => d
                .severity(Severity::Warning)
                .secondary(self.file, ms, "accepted by `mutable_tag = true`")
                .note("risk: a migration may run against one image and the pods pull another pushed in between; a rescheduled pod may pull yet another")
                .help("pin a version tag (`:1.4.2`) or a digest (`@sha256:...`) when you can"),
            None => d.help(
                "pin a version tag (`:1.4.2`) or a digest (`@sha256:...`): a migration must run against exactly the image that will roll, and an unpinned tag may be re-pulled as a different image mid-release (`security { mutable_tag = true }` accepts it with a warning)",
            ),
        };
        self.emit(d);
    }

    fn env(&mut self, b: Option<&CBlock<'a>>, from: Option<&Val>) -> Env {
        let mut env = Env::default();
        if let Some(b) = b {
            env.vars.reserve(b.fields.len());
            for f in &b.fields {
                match &f.val {
                    Val::EnvPlain(v) => {
                        env.vars
                            .insert(f.key.to_string(), EnvValue::Plain(v.to_string()));
                    }
                    Val::Env(v) => {
                        env.vars.insert(f.key.to_string(), v.clone());
                    }
                    _ => {}
                }
            }
        }
        if let Some(Val::List(items)) = from {
            for i in items {
                if let Val::EnvFrom(e) = &i.v {
                    env.from.push(e.clone());
                }
            }
        }
        env
    }

    /// Security settings of one `security` block, each relaxation reported with its risk.
    fn security(&mut self, b: Option<&CBlock<'a>>) -> Security {
        let mut s = Security::default();
        let Some(b) = b else { return s };
        for f in &b.fields {
            let on = matches!(f.val, Val::Bool(true));
            let relax = |code, message: &str, risk: &str, help: &str| {
                Diagnostic::new(code, self.file, f.key_span.to(f.span), message.to_string())
                    .label("relaxation")
                    .note(format!("risk: {risk}"))
                    .help(help.to_string())
            };
            let d = match (f.key, &f.val) {
                ("run_as_root", _) if on => {
                    s.run_as_root = true;
                    Some(relax(
                        codes::RUN_AS_ROOT,
                        "`run_as_root = true` lets the container run as root",
                        "a process that escapes the container is root on the node",
                        "keep it only if the image cannot run as another user",
                    ))
                }
                ("run_as_user", Val::Int(u)) => {
                    s.run_as_user = Some(*u);
                    (*u == 0).then(|| {
                        relax(
                            codes::RUN_AS_ROOT,
                            "`run_as_user = 0` runs the container as root",
                            "a process that escapes the container is root on the node",
                            "use a non-zero user id (kiln's default is 10001)",
                        )
                    })
                }
                ("run_as_group", Val::Int(g)) => {
                    s.run_as_group = Some(*g);
                    None
                }
                ("fs_group", Val::Int(g)) => {
                    s.fs_group = Some(*g);
                    None
                }
                ("writable_root", _) if on => {
                    s.writable_root = true;
                    Some(relax(
                        codes::WRITABLE_ROOT,
                        "`writable_root = true` makes the root filesystem writable",
                        "an attacker can replace the container's programs and persist until the pod restarts",
                        "mount a `volume` where the program writes instead",
                    ))
                }
                ("privileged", _) if on => {
                    s.privileged = true;
                    Some(relax(
                        codes::PRIVILEGED,
                        "`privileged = true` gives the container full access to the node",
                        "every device and kernel interface of the node is reachable: compromising the container is compromising the node",
                        "add the one capability needed with `add_capabilities` instead",
                    ))
                }
                ("privilege_escalation", _) if on => {
                    s.privilege_escalation = true;
                    Some(relax(
                        codes::PRIVILEGE_ESCALATION,
                        "`privilege_escalation = true` lets processes gain privileges",
                        "setuid binaries in the image can gain more privileges than the container started with",
                        "remove the setuid dependency from the image",
                    ))
                }
                ("service_account_token", _) if on => {
                    s.service_account_token = true;
                    Some(relax(
                        codes::SERVICE_ACCOUNT_TOKEN,
                        "`service_account_token = true` mounts the Kubernetes API token",
                        "anyone who compromises the pod can call the Kubernetes API with the app's permissions",
                        "keep it only for programs that talk to the Kubernetes API, with a narrow role",
                    ))
                }
                ("mutable_tag", _) if on => {
                    s.mutable_tag = true;
                    None
                }
                ("add_capabilities", Val::List(items)) => {
                    for i in items {
                        if let Val::Str(c) = &i.v {
                            s.add_capabilities.push(c.to_string());
                            let risk = match c.as_ref() {
                                "SYS_ADMIN" => {
                                    "`SYS_ADMIN` is close to full root: mounts, namespaces, most of the kernel"
                                }
                                "NET_ADMIN" => {
                                    "`NET_ADMIN` can reconfigure the pod's network, routes and firewall"
                                }
                                "NET_RAW" => {
                                    "`NET_RAW` can forge packets and spoof other pods on the node's network"
                                }
                                "SYS_PTRACE" => {
                                    "`SYS_PTRACE` can read and alter other processes' memory"
                                }
                                "NET_BIND_SERVICE" => {
                                    "`NET_BIND_SERVICE` lets the process bind ports below 1024"
                                }
                                _ => "each capability widens what a compromised process may do",
                            };
                            self.emit(
                                Diagnostic::new(
                                    codes::ADDED_CAPABILITY,
                                    self.file,
                                    i.span,
                                    format!("capability `{c}` is added back"),
                                )
                                .label("relaxation")
                                .note(format!("risk: {risk}"))
                                .help(if c == "NET_BIND_SERVICE" {
                                    "listen on a port above 1024 instead; Services can still expose port 80"
                                } else {
                                    "keep it only if the program cannot work without it"
                                }),
                            );
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(d) = d {
                self.emit(d);
            }
        }
        s
    }

    /// A container from a container-bearing block, and its ports for pod-wide checks.
    fn container(&mut self, b: &CBlock<'a>, cx: &AppCx<'a>) -> (Container, Vec<PortDecl<'a>>) {
        let sec = b.child("security");
        let security = self.security(sec);
        let mutable = match sec.and_then(|s| s.val("mutable_tag")) {
            Some(Val::Bool(false)) => None,
            _ => mutable_span(sec).or(cx.mutable),
        };
        let image = match b.val("image") {
            Some(Val::Image(iv)) => {
                self.check_pinned(iv, mutable);
                Some(iv.image.clone())
            }
            _ => None,
        };
        // At most `port` and each field of `ports`: sized so that the model keeps no
        // slack (a pushed vector starts at four ports).
        let most =
            usize::from(b.get("port").is_some()) + b.child("ports").map_or(0, |pb| pb.fields.len());
        let mut ports: Vec<Port> = Vec::with_capacity(most);
        let mut decls: Vec<PortDecl<'a>> = Vec::with_capacity(most);
        if let (Some(p), Some(f)) = (port_of(b.val("port")), b.get("port")) {
            ports.push(Port {
                name: "http".into(),
                number: p,
                protocol: Protocol::Tcp,
            });
            decls.push(PortDecl {
                name: "http",
                number: p,
                span: f.key_span.to(f.span),
            });
        }
        if let Some(pb) = b.child("ports") {
            for f in &pb.fields {
                let Val::Port(n) = f.val else { continue };
                let span = f.key_span.to(f.span);
                if let Some(first) = decls.iter().find(|d| d.name == f.key) {
                    let why = if first.name == "http" && b.get("port").is_some() {
                        "`http` is the name of `port`"
                    } else {
                        "already declared"
                    };
                    self.emit(
                        Diagnostic::new(
                            codes::PORT_CLASH,
                            self.file,
                            f.key_span,
                            format!("port name `{}` is used twice", f.key),
                        )
                        .label(why)
                        .secondary(self.file, first.span, "first declared here")
                        .help("give each port its own name"),
                    );
                    continue;
                }
                if let Some(first) = decls.iter().find(|d| d.number == n) {
                    self.emit(
                        Diagnostic::new(
                            codes::PORT_CLASH,
                            self.file,
                            f.span,
                            format!(
                                "port {n} is declared twice (`{}` and `{}`)",
                                first.name, f.key
                            ),
                        )
                        .label("same number")
                        .secondary(self.file, first.span, "first declared here")
                        .help("a process can listen on a port once: remove one declaration"),
                    );
                    continue;
                }
                ports.push(Port {
                    name: f.key.to_string(),
                    number: n,
                    protocol: Protocol::Tcp,
                });
                decls.push(PortDecl {
                    name: f.key,
                    number: n,
                    span,
                });
            }
        }
        let c = Container {
            name: b.name_str().to_string(),
            image,
            command: strs(b.val("command")),
            args: strs(b.val("args")),
            ports,
            env: self.env(b.child("env"), b.val("env_from")),
            cpu: cpu_range(b.val("cpu")),
            memory: memory_range(b.val("memory")),
            health: self.health(b),
            security,
            mounts: Vec::new(),
            loc: self.loc(b.header),
        };
        (c, decls)
    }

    fn health(&mut self, b: &CBlock<'a>) -> Option<Health> {
        let field = b.get("health");
        let block = b.child("health");
        if let (Some(f), Some(hb)) = (field, block) {
            self.emit(
                Diagnostic::new(
                    codes::CONFLICTING_FIELDS,
                    self.file,
                    hb.header,
                    "`health` is given both as a field and as a block",
                )
                .label("health block")
                .secondary(self.file, f.key_span, "health field")
                .help(
                    "keep one: the field for one probe, the block for distinct probes and timings",
                ),
            );
        }
        if let Some(hb) = block {
            let probe = |v: Option<&Val>| match v {
                Some(Val::Probe(p)) => Some(Probe {
                    check: p.clone(),
                    initial_delay: duration_of(hb.val("initial_delay")),
                    period: duration_of(hb.val("period")),
                    timeout: duration_of(hb.val("timeout")),
                    failure_threshold: u32_of(hb.val("failures")),
                }),
                _ => None,
            };
            let readiness = probe(hb.val("readiness"))?;
            let liveness = match hb.get("liveness").map(|f| &f.val) {
                None => Some(readiness.clone()),
                Some(Val::Unset) => None,
                Some(v) => probe(Some(v)),
            };
            let startup = probe(hb.val("startup"));
            return Some(Health {
                readiness,
                liveness,
                startup,
            });
        }
        match field.map(|f| &f.val) {
            Some(Val::Probe(p)) => {
                let probe = Probe {
                    check: p.clone(),
                    initial_delay: None,
                    period: None,
                    timeout: None,
                    failure_threshold: None,
                };
                Some(Health {
                    readiness: probe.clone(),
                    liveness: Some(probe),
                    startup: None,
                })
            }
            _ => None,
        }
    }

    /// Resolves references of `kind` against the app's names.
    fn resolve_refs(
        &mut self,
        items: &[(String, Span)],
        kind: RefKind,
        field: &str,
        cx: &AppCx<'a>,
    ) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for (r, span) in items {
            match cx.names.get(r.as_str()) {
                Some((k, _)) if ref_accepts(kind, k) => out.push((r.clone(), *span)),
                Some((k, decl)) => {
                    let help = match (kind, k) {
                        (RefKind::Service, "worker" | "daemon") => format!(
                            "a `{k}` has no Service to route to; make `{r}` a `service` with a `port`"
                        ),
                        _ => format!("`{field}` names {}s", kind.describe()),
                    };
                    self.emit(
                        Diagnostic::new(
                            codes::WRONG_REFERENCE_KIND,
                            self.file,
                            *span,
                            format!("`{r}` is a {k}, not a {}", kind.describe()),
                        )
                        .label(format!("expected a {}", kind.describe()))
                        .secondary(self.file, decl, format!("`{r}` is declared here"))
                        .help(help),
                    );
                }
                None => {
                    let candidates = cx.candidates(kind);
                    let mut d = Diagnostic::new(
                        codes::UNDEFINED_REFERENCE,
                        self.file,
                        *span,
                        format!("no {} named `{r}` in this app", kind.describe()),
                    )
                    .label(format!("unknown {}", kind.describe()));
                    d = match self.suggest(r, candidates.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None if candidates.is_empty() => {
                            d.help(format!("this app declares no {}", kind.describe()))
                        }
                        None => d.help(format!(
                            "{}s of this app: {}",
                            kind.describe(),
                            values::quote_list(candidates)
                        )),
                    };
                    self.emit(d);
                }
            }
        }
        out
    }

    fn workload(&mut self, b: &CBlock<'a>, cx: &AppCx<'a>) -> Workload {
        let kind = match b.schema.id {
            "service" => WorkloadKind::Service,
            "worker" => WorkloadKind::Worker,
            "stateful" => WorkloadKind::Stateful,
            _ => WorkloadKind::Daemon,
        };
        let (container, mut pod_ports) = self.container(b, cx);
        let volumes = self.volumes(b);
        let vol_names: Vec<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
        let mut container_names: SmallMap<'a, Span> = SmallMap::default();
        if let Some((n, sp)) = b.name {
            container_names.insert(n, sp);
        }
        let mut sidecars = Vec::new();
        let mut init = Vec::new();
        for c in b
            .live()
            .filter(|c| c.schema.id == "sidecar" || c.schema.id == "init")
        {
            if let Some((n, sp)) = c.name {
                if let Some(first) = container_names.get(n) {
                    self.emit(
                        Diagnostic::new(
                            codes::DUPLICATE_NAME,
                            self.file,
                            sp,
                            format!("container name `{n}` is used twice in `{}`", b.name_str()),
                        )
                        .label("same container name")
                        .secondary(self.file, first, "first used here")
                        .help("containers of a pod need distinct names (the main container is named after the workload)"),
                    );
                } else {
                    container_names.insert(n, sp);
                }
            }
            let (mut ct, ports) = self.container(c, cx);
            let mounts = refs(c.val("mounts"));
            for (m, span) in mounts {
                if vol_names.contains(&m.as_str()) {
                    ct.mounts.push(m);
                } else {
                    let mut d = Diagnostic::new(
                        codes::UNDEFINED_REFERENCE,
                        self.file,
                        span,
                        format!("`{}` has no volume `{m}`", b.name_str()),
                    )
                    .label("unknown volume");
                    d = match self.suggest(&m, vol_names.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!(
                            "`mounts` names volumes declared in `{}`",
                            b.name_str()
                        )),
                    };
                    self.emit(d);
                }
            }
            if c.schema.id == "sidecar" {
                self.pod_port_clash(&mut pod_ports, ports);
                sidecars.push(ct);
            } else {
                init.push(ct);
            }
        }
        let replicas = match kind {
            WorkloadKind::Daemon => None,
            _ => u32_of(b.val("replicas")),
        };
        let autoscale = b.child("autoscale").and_then(|a| self.autoscale(a));
        let expose = match kind {
            WorkloadKind::Service | WorkloadKind::Stateful => Some(self.expose(b)),
            _ => None,
        };
        let ingress = b.child("ingress").map(|i| self.ingress(i));
        let talks_to = self.talks_to(b, cx);
        if kind == WorkloadKind::Service && !b.errors {
            self.service_warnings(b, replicas, autoscale.as_ref(), container.health.is_some());
        }
        Workload {
            kind,
            name: b.name_str().to_string(),
            loc: self.loc(b.header),
            container,
            sidecars,
            init,
            replicas,
            autoscale,
            expose,
            ingress,
            volumes,
            scheduling: self.scheduling(b),
            talks_to,
            labels: string_map(b.child("labels")),
            annotations: string_map(b.child("annotations")),
            termination_grace: duration_of(b.val("grace")),
            patches: self.patches(b),
        }
    }

    /// Containers of a pod share one network: a port number can be bound once. (Names
    /// may repeat across containers: each container's `port` is `http`, and a Service
    /// resolves a port name to the first container that has it, the main one.)
    fn pod_port_clash(&mut self, pod: &mut Vec<PortDecl<'a>>, more: Vec<PortDecl<'a>>) {
        for p in more {
            if let Some(first) = pod.iter().find(|q| q.number == p.number) {
                self.emit(
                    Diagnostic::new(
                        codes::PORT_CLASH,
                        self.file,
                        p.span,
                        format!(
                            "port {} is already used by another container of the pod",
                            p.number
                        ),
                    )
                    .label("same port")
                    .secondary(self.file, first.span, "first used here")
                    .help("containers of a pod share one network: each port can be bound once"),
                );
                continue;
            }
            pod.push(p);
        }
    }

    fn service_warnings(
        &mut self,
        b: &CBlock<'a>,
        replicas: Option<u32>,
        autoscale: Option<&Autoscale>,
        has_health: bool,
    ) {
        let name = b.name_str();
        let (count, span) = match (autoscale, b.child("autoscale")) {
            (Some(a), Some(ab)) => (a.min, ab.get("min").map(|f| f.span).unwrap_or(ab.header)),
            _ => (
                // Without `replicas`, lowering runs two (docs/output.md).
                replicas.unwrap_or(2),
                b.get("replicas").map(|f| f.span).unwrap_or(b.header),
            ),
        };
        if count == 1 {
            let what = if autoscale.is_some() {
                format!("service `{name}` may scale down to a single replica")
            } else {
                format!("service `{name}` runs a single replica")
            };
            self.emit(
                Diagnostic::new(codes::SINGLE_REPLICA, self.file, span, what)
                    .label("one replica")
                    .note("risk: no PodDisruptionBudget can protect one pod: every node drain or upgrade is downtime")
                    .help(if autoscale.is_some() {
                        "set `min = 2` or more in `autoscale`"
                    } else {
                        "set `replicas = 2` or more"
                    }),
            );
        }
        if !has_health && b.get("health").is_none() && b.child("health").is_none() {
            self.emit(
                Diagnostic::new(
                    codes::NO_HEALTH,
                    self.file,
                    b.header,
                    format!("service `{name}` has no health check"),
                )
                .label("no `health`")
                .note("risk: pods receive traffic before they can answer, and a hung process is never restarted")
                .help("add `health = http(\"/path\")`, `tcp()` or `exec([..])`"),
            );
        }
    }

    fn autoscale(&mut self, a: &CBlock<'a>) -> Option<Autoscale> {
        let min = u32_of(a.val("min"))?;
        let max = u32_of(a.val("max"))?;
        if min > max {
            let (ms, xs) = (
                a.get("min").map(|f| f.span).unwrap_or(a.header),
                a.get("max").map(|f| f.span).unwrap_or(a.header),
            );
            self.emit(
                Diagnostic::new(
                    codes::INVERTED_RANGE,
                    self.file,
                    ms,
                    format!("autoscale `min` ({min}) is larger than `max` ({max})"),
                )
                .label("larger")
                .secondary(self.file, xs, "than this")
                .help(format!("swap them: `min = {max}  max = {min}`")),
            );
            return None;
        }
        let pct = |v: Option<&Val>| match v {
            Some(Val::Percent(p)) => Some(*p),
            _ => None,
        };
        Some(Autoscale {
            min,
            max,
            cpu: pct(a.val("cpu")),
            memory: pct(a.val("memory")),
        })
    }

    fn expose(&mut self, b: &CBlock<'a>) -> Expose {
        let service_type = match enum_of(b.val("service_type")) {
            Some("node_port") => ServiceType::NodePort,
            Some("load_balancer") => ServiceType::LoadBalancer,
            _ => ServiceType::ClusterIp,
        };
        let mut node_port = port_of(b.val("node_port"));
        if let (Some(np), Some(f)) = (node_port, b.get("node_port")) {
            if service_type == ServiceType::ClusterIp {
                let mut d = Diagnostic::new(
                    codes::CONFLICTING_FIELDS,
                    self.file,
                    f.key_span,
                    "`node_port` is set but the service is not exposed on nodes",
                )
                .label("needs `service_type = node_port`")
                .help("add `service_type = node_port` (or `load_balancer`), or remove `node_port`");
                if let Some(t) = b.get("service_type") {
                    d = d.secondary(self.file, t.span, "the service type");
                }
                self.emit(d);
                node_port = None;
            } else if !(30000..=32767).contains(&np) {
                self.emit(
                    Diagnostic::new(
                        codes::PORT_OUT_OF_RANGE,
                        self.file,
                        f.span,
                        format!("node port {np} is outside the node port range"),
                    )
                    .label("not in 30000..=32767")
                    .help("node ports are taken from the cluster's range, 30000-32767 by default"),
                );
                node_port = None;
            }
        }
        Expose {
            service_type,
            port: port_of(b.val("service_port")),
            node_port,
        }
    }

    fn ingress(&mut self, i: &CBlock<'a>) -> Ingress {
        self.ingress_tls_warning(i);
        Ingress {
            host: str_of(i.val("host")).unwrap_or_default(),
            path: str_of(i.val("path")).unwrap_or_else(|| "/".to_string()),
            tls: str_of(i.val("tls")),
            allow: strs(i.val("allow")),
            class: str_of(i.val("class")).unwrap_or_else(|| "nginx".to_string()),
            loc: self.loc(i.header),
        }
    }

    fn ingress_tls_warning(&mut self, i: &CBlock<'a>) {
        if i.val("tls").is_none() {
            let host = str_of(i.val("host")).unwrap_or_default();
            self.emit(
                Diagnostic::new(
                    codes::INGRESS_WITHOUT_TLS,
                    self.file,
                    i.header,
                    format!("ingress for `{host}` has no `tls`"),
                )
                .label("plain HTTP")
                .note("risk: credentials and cookies cross the network readable by anyone on the path")
                .help("set `tls = \"secret-name\"` to a Secret holding the certificate (e.g. one cert-manager maintains)"),
            );
        }
    }

    fn app_ingress(&mut self, i: &CBlock<'a>, cx: &AppCx<'a>) -> AppIngress {
        self.ingress_tls_warning(i);
        let mut routes = Vec::new();
        if let Some(r) = i.child("routes") {
            for f in &r.fields {
                if let Val::Ref(target) = &f.val {
                    let ok = self.resolve_refs(
                        &[(target.clone(), f.span)],
                        RefKind::Service,
                        "routes",
                        cx,
                    );
                    if !ok.is_empty() {
                        routes.push((f.key.to_string(), target.clone()));
                    }
                }
            }
        }
        AppIngress {
            host: str_of(i.val("host")).unwrap_or_default(),
            tls: str_of(i.val("tls")),
            allow: strs(i.val("allow")),
            class: str_of(i.val("class")).unwrap_or_else(|| "nginx".to_string()),
            routes,
            loc: self.loc(i.header),
        }
    }

    fn volumes(&mut self, w: &CBlock<'a>) -> Vec<Volume> {
        const SOURCES: &[&str] = &[
            "size",
            "claim",
            "secret",
            "config_map",
            "files",
            "host_path",
        ];
        let mut out = Vec::new();
        let mut names: SmallMap<'a, Span> = SmallMap::default();
        let mut mounts: SmallMap<'_, Span> = SmallMap::default();
        for v in w.kids("volume") {
            let Some((name, name_span)) = v.name else {
                continue;
            };
            if let Some(first) = names.get(name) {
                self.emit(
                    Diagnostic::new(
                        codes::DUPLICATE_NAME,
                        self.file,
                        name_span,
                        format!("volume `{name}` is declared twice in `{}`", w.name_str()),
                    )
                    .label("second volume")
                    .secondary(self.file, first, "first declared here")
                    .help("rename one of the volumes"),
                );
                continue;
            }
            names.insert(name, name_span);
            let mount = str_of(v.val("mount")).unwrap_or_default();
            if let Some(f) = v.get("mount") {
                let key = match &f.val {
                    Val::Str(m) => m.trim_end_matches('/'),
                    _ => "",
                };
                if let Some(first) = mounts.get(key) {
                    self.emit(
                        Diagnostic::new(
                            codes::MOUNT_CLASH,
                            self.file,
                            f.span,
                            format!("two volumes of `{}` are mounted at `{mount}`", w.name_str()),
                        )
                        .label("same mount path")
                        .secondary(self.file, first, "first mounted here")
                        .help("give each volume its own `mount` path"),
                    );
                } else {
                    mounts.insert(key, f.span);
                }
            }
            let given: Vec<&str> = SOURCES
                .iter()
                .copied()
                .filter(|s| v.val(s).is_some())
                .collect();
            if given.len() > 1 {
                let first = v.get(given[0]).map(|f| f.key_span).unwrap_or(v.header);
                for other in &given[1..] {
                    let span = v.get(other).map(|f| f.key_span).unwrap_or(v.header);
                    self.emit(
                        Diagnostic::new(
                            codes::CONFLICTING_FIELDS,
                            self.file,
                            span,
                            format!(
                                "volume `{name}` has two sources: `{}` and `{other}`",
                                given[0]
                            ),
                        )
                        .label("second source")
                        .secondary(self.file, first, "first source")
                        .help("a volume has at most one source: keep one, or declare two volumes"),
                    );
                }
            }
            if let Some(f) = v.get("storage_class")
                && v.val("size").is_none()
            {
                self.emit(
                    Diagnostic::new(
                        codes::CONFLICTING_FIELDS,
                        self.file,
                        f.key_span,
                        format!("volume `{name}` has a `storage_class` but no `size`"),
                    )
                    .label("only for new claims")
                    .help("`storage_class` applies to the claim kiln creates for `size`: add `size`, or remove it"),
                );
            }
            if let Some(f) = v.get("size_limit")
                && !given.is_empty()
            {
                self.emit(
                    Diagnostic::new(
                        codes::CONFLICTING_FIELDS,
                        self.file,
                        f.key_span,
                        format!(
                            "`size_limit` applies to scratch space, but `{name}` has a `{}` source",
                            given[0]
                        ),
                    )
                    .label("not scratch space")
                    .help("remove `size_limit`, or the source"),
                );
            }
            let read_only = bool_of(v.val("read_only")).unwrap_or(false);
            if let Some(f) = v.get("host_path")
                && let Val::Str(p) = &f.val
            {
                let risk = if read_only {
                    "the pod reads the node's files, including other pods' data and logs"
                } else {
                    "the pod reads and writes the node's files, including other pods' data and logs"
                };
                self.emit(
                    Diagnostic::new(
                        codes::HOST_PATH,
                        self.file,
                        f.key_span.to(f.span),
                        format!("volume `{name}` mounts `{p}` of the node"),
                    )
                    .label("relaxation")
                    .note(format!("risk: {risk}"))
                    .help(if read_only {
                        "keep host paths to node agents (`daemon`)"
                    } else {
                        "add `read_only = true` unless the program must write there"
                    }),
                );
            }
            let source = match given.first().copied() {
                Some("size") => match v.val("size") {
                    Some(Val::Memory(m)) => VolumeSource::Claim {
                        size: m.clone(),
                        storage_class: str_of(v.val("storage_class")),
                    },
                    _ => VolumeSource::EmptyDir { size: None },
                },
                Some("claim") => {
                    VolumeSource::ExistingClaim(str_of(v.val("claim")).unwrap_or_default())
                }
                Some("secret") => VolumeSource::Secret(str_of(v.val("secret")).unwrap_or_default()),
                Some("config_map") => {
                    VolumeSource::ConfigMap(str_of(v.val("config_map")).unwrap_or_default())
                }
                Some("files") => VolumeSource::Files(self.files(v)),
                Some("host_path") => {
                    VolumeSource::HostPath(str_of(v.val("host_path")).unwrap_or_default())
                }
                _ => VolumeSource::EmptyDir {
                    size: match v.val("size_limit") {
                        Some(Val::Memory(m)) => Some(m.clone()),
                        _ => None,
                    },
                },
            };
            out.push(Volume {
                name: name.to_string(),
                mount,
                read_only,
                source,
                loc: self.loc(v.header),
            });
        }
        out
    }

    fn files(&mut self, v: &CBlock<'a>) -> Vec<FileContent> {
        let mut out: Vec<FileContent> = Vec::new();
        let mut seen: SmallMap<'_, Span> = SmallMap::default();
        if let Some(Val::List(items)) = v.val("files") {
            for i in items {
                if let Val::File(fc) = &i.v {
                    if let Some(first) = seen.get(&fc.name) {
                        self.emit(
                            Diagnostic::new(
                                codes::DUPLICATE_NAME,
                                self.file,
                                i.span,
                                format!("two files named `{}` in one volume", fc.name),
                            )
                            .label("same file name")
                            .secondary(self.file, first, "first here")
                            .help(
                                "files are keyed by their base name: put them in separate volumes",
                            ),
                        );
                        continue;
                    }
                    seen.insert(&fc.name, i.span);
                    out.push(fc.clone());
                }
            }
        }
        out
    }

    fn scheduling(&mut self, b: &CBlock<'a>) -> Scheduling {
        let mut tolerations = Vec::new();
        if let Some(Val::List(items)) = b.val("tolerations") {
            for i in items {
                if let Val::Toleration(t) = &i.v {
                    tolerations.push(t.clone());
                }
            }
        }
        if let Some(f) = b.get("tolerate_all")
            && matches!(f.val, Val::Bool(true))
        {
            tolerations.push(Toleration {
                key: None,
                value: None,
                effect: None,
            });
            self.emit(
                Diagnostic::new(
                    codes::TOLERATE_ALL,
                    self.file,
                    f.key_span.to(f.span),
                    format!("`{}` tolerates every taint", b.name_str()),
                )
                .label("relaxation")
                .note("risk: pods are scheduled on control-plane, dedicated and draining nodes too")
                .help(if b.schema.id == "daemon" {
                    "keep it for node agents that must run everywhere; otherwise list `tolerations`"
                } else {
                    "list the taints to tolerate with `tolerations` instead"
                }),
            );
        }
        Scheduling {
            node_selector: string_map(b.child("node_selector")),
            tolerations,
            spread: bool_of(b.val("spread")),
        }
    }

    fn patches(&mut self, b: &CBlock<'a>) -> Vec<Patch> {
        let mut out: Vec<Patch> = Vec::new();
        let mut seen: SmallMap<'a, Span> = SmallMap::default();
        for p in b.kids("patch") {
            let Some((target, span)) = p.name else {
                continue;
            };
            if let Some(first) = seen.get(target) {
                self.emit(
                    Diagnostic::new(
                        codes::DUPLICATE_BLOCK,
                        self.file,
                        span,
                        format!("`patch {target}` appears twice in `{}`", b.name_str()),
                    )
                    .label("second patch")
                    .secondary(self.file, first, "first here")
                    .help("merge the two patches into one"),
                );
                continue;
            }
            seen.insert(target, span);
            let sets = p
                .fields
                .iter()
                .filter_map(|f| match &f.val {
                    Val::Json(v) => Some(PatchSet {
                        path: f.path.iter().map(|k| k.name.clone()).collect(),
                        value: v.clone(),
                        loc: self.loc(f.key_span.to(f.span)),
                    }),
                    Val::Unset => Some(PatchSet {
                        path: f.path.iter().map(|k| k.name.clone()).collect(),
                        value: serde_json::Value::Null,
                        loc: self.loc(f.key_span.to(f.span)),
                    }),
                    _ => None,
                })
                .collect();
            out.push(Patch {
                target: target.to_string(),
                sets,
                loc: self.loc(p.header),
            });
        }
        out
    }

    /// `talks_to` of a workload, job or cron: the named workloads of the app.
    fn talks_to(&mut self, b: &CBlock<'a>, cx: &AppCx<'a>) -> Vec<String> {
        self.resolve_refs(&refs(b.val("talks_to")), RefKind::Workload, "talks_to", cx)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    fn job(&mut self, b: &CBlock<'a>, cx: &AppCx<'a>) -> Job {
        let (container, _) = self.container(b, cx);
        Job {
            name: b.name_str().to_string(),
            loc: self.loc(b.header),
            container,
            run: match enum_of(b.val("run")) {
                Some("on_install") => RunPhase::OnInstall,
                Some("after_deploy") => RunPhase::AfterDeploy,
                Some("manual") => RunPhase::Manual,
                _ => RunPhase::BeforeDeploy,
            },
            after: Vec::new(),
            talks_to: self.talks_to(b, cx),
            timeout: duration_of(b.val("timeout")),
            retries: u32_of(b.val("retries")),
            ttl: duration_of(b.val("ttl")),
            compatible: match enum_of(b.val("compatible")) {
                Some("none") => Compatible::None,
                _ => Compatible::Previous,
            },
            volumes: self.volumes(b),
            scheduling: self.scheduling(b),
            labels: string_map(b.child("labels")),
            annotations: string_map(b.child("annotations")),
            patches: self.patches(b),
        }
    }

    /// Resolves `after` and reports cycles, each with every link labelled.
    fn job_order(&mut self, jobs: &mut [Job], blocks: &[&CBlock<'a>], cx: &AppCx<'a>) {
        // The job of a name (the last of that name, as a map built in order keeps): by
        // search for the usual few jobs, by hash map past that.
        let map: Option<HashMap<&str, usize>> = (blocks.len() > 8).then(|| {
            blocks
                .iter()
                .enumerate()
                .map(|(i, b)| (b.name_str(), i))
                .collect()
        });
        let index_of = |name: &str| match &map {
            Some(m) => m.get(name).copied(),
            None => blocks.iter().rposition(|b| b.name_str() == name),
        };
        // Edges: job → (job it waits for, where the reference is).
        let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new(); blocks.len()];
        for (i, b) in blocks.iter().enumerate() {
            let resolved = self.resolve_refs(&refs(b.val("after")), RefKind::Job, "after", cx);
            for (name, span) in resolved {
                if let Some(j) = index_of(name.as_str()) {
                    edges[i].push((j, span));
                }
                if let Some(job) = jobs.get_mut(i) {
                    job.after.push((name, self.loc(span)));
                }
            }
        }
        // Iterative DFS (no recursion on user input): 0 unseen, 1 on the stack, 2 done.
        let mut state = vec![0u8; blocks.len()];
        for start in 0..blocks.len() {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&(to, span)) = edges[node].get(*next) {
                    *next += 1;
                    match state[to] {
                        0 => {
                            state[to] = 1;
                            stack.push((to, 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            let members: Vec<usize> =
                                stack[pos..].iter().map(|(n, _)| *n).collect();
                            self.report_cycle(&members, &edges, span, blocks);
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
    }

    fn report_cycle(
        &mut self,
        members: &[usize],
        edges: &[Vec<(usize, Span)>],
        closing: Span,
        blocks: &[&CBlock<'a>],
    ) {
        let name = |i: usize| blocks.get(i).map(|b| b.name_str()).unwrap_or("?");
        let mut chain: Vec<&str> = members.iter().map(|&i| name(i)).collect();
        if let Some(&first) = members.first() {
            chain.push(name(first));
        }
        let last = members.last().copied().unwrap_or(0);
        let first = members.first().copied().unwrap_or(0);
        let mut d = Diagnostic::new(
            codes::DEPENDENCY_CYCLE,
            self.file,
            closing,
            if members.len() == 1 {
                format!("job `{}` waits for itself", name(first))
            } else {
                format!(
                    "jobs {} wait for each other",
                    values::quote_list(&chain[..chain.len() - 1])
                )
            },
        )
        .label(format!("`{}` waits for `{}`", name(last), name(first)))
        .note(format!("cycle: {}", chain.join(" → ")))
        .help("remove one `after` link of the cycle; none of these jobs could ever start");
        // The other links of the cycle, each at its reference.
        for w in members.windows(2) {
            let (from, to) = (w[0], w[1]);
            if let Some(&(_, span)) = edges[from].iter().find(|(t, _)| *t == to) {
                d = d.secondary(
                    self.file,
                    span,
                    format!("`{}` waits for `{}`", name(from), name(to)),
                );
            }
        }
        self.emit(d);
    }

    fn cron(&mut self, b: &CBlock<'a>, cx: &AppCx<'a>) -> Cron {
        let (container, _) = self.container(b, cx);
        Cron {
            name: b.name_str().to_string(),
            loc: self.loc(b.header),
            container,
            schedule: str_of(b.val("schedule"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            timezone: str_of(b.val("timezone")),
            concurrency: match enum_of(b.val("concurrency")) {
                Some("allow") => Concurrency::Allow,
                Some("replace") => Concurrency::Replace,
                _ => Concurrency::Forbid,
            },
            starting_deadline: duration_of(b.val("starting_deadline")),
            timeout: duration_of(b.val("timeout")),
            retries: u32_of(b.val("retries")),
            keep_succeeded: u32_of(b.val("keep_succeeded")),
            keep_failed: u32_of(b.val("keep_failed")),
            suspend: bool_of(b.val("suspend")).unwrap_or(false),
            talks_to: self.talks_to(b, cx),
            volumes: self.volumes(b),
            scheduling: self.scheduling(b),
            labels: string_map(b.child("labels")),
            annotations: string_map(b.child("annotations")),
            patches: self.patches(b),
        }
    }

    fn raw(&mut self, b: &CBlock<'a>) -> Option<RawObject> {
        let f = b.get("file")?;
        let Val::File(fc) = &f.val else { return None };
        let object = match super::yaml::parse(&fc.content) {
            Ok(v) => v,
            Err(why) => {
                self.emit(
                    Diagnostic::new(
                        codes::BAD_RAW_OBJECT,
                        self.file,
                        f.span,
                        format!("`{}` is not one YAML or JSON object: {why}", fc.name),
                    )
                    .label("unreadable object")
                    .help("a raw file holds one Kubernetes object (split multi-document files into several `raw` blocks)"),
                );
                return None;
            }
        };
        let missing: Vec<&str> = [
            (
                "apiVersion",
                object.get("apiVersion").and_then(|v| v.as_str()).is_some(),
            ),
            (
                "kind",
                object.get("kind").and_then(|v| v.as_str()).is_some(),
            ),
            (
                "metadata.name",
                object
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(|v| v.as_str())
                    .is_some(),
            ),
        ]
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(k, _)| *k)
        .collect();
        if !missing.is_empty() {
            self.emit(
                Diagnostic::new(
                    codes::BAD_RAW_OBJECT,
                    self.file,
                    f.span,
                    format!(
                        "the object in `{}` has no {}",
                        fc.name,
                        values::quote_list(&missing)
                    ),
                )
                .label("incomplete object")
                .help("every Kubernetes object has `apiVersion`, `kind` and `metadata.name`"),
            );
            return None;
        }
        Some(RawObject {
            object,
            loc: self.loc(b.header),
        })
    }
}

/// Where `mutable_tag = true` is, in a `security` block.
fn mutable_span(sec: Option<&CBlock<'_>>) -> Option<Span> {
    let f = sec?.get("mutable_tag")?;
    matches!(f.val, Val::Bool(true)).then_some(f.key_span.to(f.span))
}
