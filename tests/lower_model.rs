//! Lowering tests on models built by hand (independent of the parser and the checker):
//! determinism, what a change of env or image changes, security and operational
//! defaults, patches, compile-time diagnostics, and the atomic bundle writer.

use indexmap::IndexMap;
use kiln::check::model::*;
use kiln::lower::{self, Object};
use kiln::source::Loc;
use kiln::{Options, emit, order};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------
// A small builder for models.

fn loc(start: u32) -> Loc {
    Loc {
        file: Default::default(),
        span: kiln::source::Span {
            start,
            end: start + 1,
        },
    }
}

fn image(reference: &str) -> Image {
    let (repository, tag) = match reference.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_owned(), Some(t.to_owned())),
        _ => (reference.to_owned(), None),
    };
    Image {
        reference: reference.to_owned(),
        repository,
        tag,
        digest: None,
        loc: loc(1),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn container(name: &str) -> Container {
    Container {
        name: name.to_owned(),
        image: None,
        command: Vec::new(),
        args: Vec::new(),
        ports: Vec::new(),
        env: Env::default(),
        cpu: None,
        memory: None,
        health: None,
        security: Security::default(),
        mounts: Vec::new(),
        loc: loc(10),
    }
}

fn http_port(n: u16) -> Vec<Port> {
    vec![Port {
        name: "http".to_owned(),
        number: n,
        protocol: Protocol::Tcp,
    }]
}

fn cpu(min: &str, max: &str) -> Range<Cpu> {
    let millis = |s: &str| {
        s.strip_suffix('m').map_or_else(
            || s.parse::<u64>().unwrap_or(0) * 1000,
            |m| m.parse().unwrap_or(0),
        )
    };
    Range {
        min: Cpu {
            millis: millis(min),
            text: min.to_owned(),
        },
        max: Cpu {
            millis: millis(max),
            text: max.to_owned(),
        },
    }
}

fn memory(min: &str, max: &str) -> Range<Memory> {
    Range {
        min: Memory {
            bytes: 0,
            text: min.to_owned(),
        },
        max: Memory {
            bytes: 0,
            text: max.to_owned(),
        },
    }
}

fn probe(check: ProbeCheck) -> Probe {
    Probe {
        check,
        initial_delay: None,
        period: None,
        timeout: None,
        failure_threshold: None,
    }
}

fn health_http(path: &str) -> Health {
    let p = probe(ProbeCheck::Http {
        path: path.to_owned(),
        port: None,
    });
    Health {
        readiness: p.clone(),
        liveness: Some(p),
        startup: None,
    }
}

fn workload(kind: WorkloadKind, name: &str) -> Workload {
    Workload {
        kind,
        name: name.to_owned(),
        loc: loc(100),
        container: container(name),
        sidecars: Vec::new(),
        init: Vec::new(),
        replicas: None,
        autoscale: None,
        expose: None,
        ingress: None,
        volumes: Vec::new(),
        scheduling: Scheduling::default(),
        talks_to: Vec::new(),
        labels: IndexMap::new(),
        annotations: IndexMap::new(),
        termination_grace: None,
        patches: Vec::new(),
    }
}

fn job(name: &str, command: &[&str], run: RunPhase) -> Job {
    let mut c = container(name);
    c.command = strings(command);
    Job {
        name: name.to_owned(),
        loc: loc(200),
        container: c,
        run,
        after: Vec::new(),
        talks_to: Vec::new(),
        timeout: None,
        retries: None,
        ttl: None,
        compatible: Compatible::Previous,
        volumes: Vec::new(),
        scheduling: Scheduling::default(),
        labels: IndexMap::new(),
        annotations: IndexMap::new(),
        patches: Vec::new(),
    }
}

fn cron(name: &str, schedule: &str, command: &[&str]) -> Cron {
    let mut c = container(name);
    c.command = strings(command);
    Cron {
        name: name.to_owned(),
        loc: loc(300),
        container: c,
        schedule: schedule.to_owned(),
        timezone: None,
        concurrency: Concurrency::Forbid,
        starting_deadline: None,
        timeout: None,
        retries: None,
        keep_succeeded: None,
        keep_failed: None,
        suspend: false,
        talks_to: Vec::new(),
        volumes: Vec::new(),
        scheduling: Scheduling::default(),
        labels: IndexMap::new(),
        annotations: IndexMap::new(),
        patches: Vec::new(),
    }
}

fn app(name: &str, img: &str) -> App {
    App {
        name: name.to_owned(),
        loc: loc(0),
        namespace: name.to_owned(),
        image: image(img),
        pull_secrets: Vec::new(),
        version: None,
        env: Env::default(),
        labels: IndexMap::new(),
        annotations: IndexMap::new(),
        security: Security::default(),
        workloads: Vec::new(),
        jobs: Vec::new(),
        crons: Vec::new(),
        ingress: None,
        ingress_namespace: "ingress-nginx".to_owned(),
        raw: Vec::new(),
        restrict_egress: false,
    }
}

fn plain(v: &str) -> EnvValue {
    EnvValue::Plain(v.to_owned())
}

/// The model of `examples/csis/app.kiln`, by hand.
fn csis() -> Model {
    let mut a = app("csis", "registry.example.com/csis:1.4.2");
    a.pull_secrets = strings(&["private-reg-cred"]);
    a.env.vars.insert("RAILS_ENV".into(), plain("production"));
    a.env
        .vars
        .insert("RAILS_LOG_TO_STDOUT".into(), plain("enabled"));
    a.env
        .vars
        .insert("RAILS_SERVE_STATIC_FILES".into(), plain("enabled"));
    a.env.vars.insert(
        "REDIS_URL".into(),
        plain("redis://redis.csis.svc.cluster.local:6379/"),
    );
    a.env.vars.insert(
        "DATABASE_URL".into(),
        EnvValue::Secret {
            name: "csis-db".into(),
            key: "url".into(),
        },
    );
    let mut migrate = job("migrate", &["rails", "db:migrate"], RunPhase::BeforeDeploy);
    migrate.timeout = Some(Duration { secs: 600 });
    let mut seed = job("seed", &["rails", "db:seed"], RunPhase::OnInstall);
    seed.after = vec![("migrate".into(), loc(250))];
    a.jobs = vec![migrate, seed];

    let mut web = workload(WorkloadKind::Service, "web");
    web.container.command = strings(&["rails", "server", "-b", "0.0.0.0", "-p", "3000"]);
    web.container.ports = http_port(3000);
    web.replicas = Some(3);
    web.container.health = Some(health_http("/up"));
    web.container.cpu = Some(cpu("250m", "1"));
    web.container.memory = Some(memory("512Mi", "1Gi"));
    web.autoscale = Some(Autoscale {
        min: 3,
        max: 10,
        cpu: Some(70),
        memory: None,
    });
    web.ingress = Some(Ingress {
        host: "csis.example.com".into(),
        path: "/".into(),
        tls: Some("csis-tls".into()),
        allow: strings(&["1.1.1.0/24"]),
        class: "nginx".into(),
        loc: loc(150),
    });
    let mut queue = workload(WorkloadKind::Worker, "queue");
    queue.container.command = strings(&["bundle", "exec", "sidekiq"]);
    queue.replicas = Some(2);
    queue.container.memory = Some(memory("512Mi", "1Gi"));
    a.workloads = vec![web, queue];
    a.crons = vec![cron("nightly", "0 3 * * *", &["rails", "reports:nightly"])];
    Model { apps: vec![a] }
}

fn compile(model: &Model) -> Vec<Object> {
    match lower::lower(model, &Options::default()) {
        Ok((mut objects, _warnings)) => {
            order::sort(&mut objects);
            objects
        }
        Err(d) => panic!("lowering failed: {d:#?}"),
    }
}

fn errors(model: &Model) -> kiln::diag::Diagnostics {
    match lower::lower(model, &Options::default()) {
        Ok((objects, _)) => panic!("expected errors, got {} objects", objects.len()),
        Err(d) => d,
    }
}

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Value {
    match objects.iter().find(|o| o.kind == kind && o.name == name) {
        Some(o) => &o.value,
        None => panic!(
            "no {kind} {name} in {:?}",
            objects
                .iter()
                .map(|o| format!("{} {}", o.kind, o.name))
                .collect::<Vec<_>>()
        ),
    }
}

fn names_of(objects: &[Object], kind: &str) -> Vec<String> {
    objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| o.name.clone())
        .collect()
}

// ---------------------------------------------------------------------------------

#[test]
fn csis_objects_in_apply_order() {
    let objects = compile(&csis());
    let kinds: Vec<String> = objects
        .iter()
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    let cm = names_of(&objects, "ConfigMap");
    assert_eq!(cm.len(), 1);
    assert!(cm[0].starts_with("csis-env-") && cm[0].len() == "csis-env-".len() + 10);
    let jobs = names_of(&objects, "Job");
    assert_eq!(jobs.len(), 2);
    let expected = [
        "Namespace csis".to_owned(),
        "ServiceAccount csis".to_owned(),
        format!("ConfigMap {}", cm[0]),
        "NetworkPolicy csis".to_owned(),
        "NetworkPolicy csis-web".to_owned(),
        // The release phases: migrate before the workloads, seed (on_install, after
        // migrate) in the next step.
        format!("Job {}", jobs[0]),
        format!("Job {}", jobs[1]),
        "Service csis-web".to_owned(),
        "Deployment csis-web".to_owned(),
        "Deployment csis-queue".to_owned(),
        "HorizontalPodAutoscaler csis-web".to_owned(),
        "PodDisruptionBudget csis-web".to_owned(),
        "PodDisruptionBudget csis-queue".to_owned(),
        "Ingress csis-web".to_owned(),
        "CronJob csis-nightly".to_owned(),
    ];
    assert_eq!(kinds, expected);
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    let a = emit::to_yaml(&compile(&csis()));
    let b = emit::to_yaml(&compile(&csis()));
    assert_eq!(a, b);
    assert!(a.starts_with("apiVersion: v1\nkind: Namespace\nmetadata:\n"));
}

#[test]
fn changing_one_env_value_renames_the_config_map_and_nothing_else() {
    let before = compile(&csis());
    let mut m = csis();
    m.apps[0]
        .env
        .vars
        .insert("RAILS_ENV".into(), plain("staging"));
    let after = compile(&m);
    let old_cm = &names_of(&before, "ConfigMap")[0];
    let new_cm = &names_of(&after, "ConfigMap")[0];
    assert_ne!(old_cm, new_cm);
    // Jobs are named by what they run, which includes the env they get.
    let old_jobs = names_of(&before, "Job");
    let new_jobs = names_of(&after, "Job");
    let mut text = emit::to_yaml(&before)
        .replace(old_cm.as_str(), new_cm)
        .replace("RAILS_ENV: production", "RAILS_ENV: staging");
    for (o, n) in old_jobs.iter().zip(&new_jobs) {
        text = text.replace(o.as_str(), n);
    }
    assert_eq!(text, emit::to_yaml(&after));
    // And the Deployments do reference the new name.
    let web = find(&after, "Deployment", "csis-web");
    assert_eq!(
        web.pointer("/spec/template/spec/containers/0/envFrom/0/configMapRef/name"),
        Some(&json!(new_cm))
    );
}

#[test]
fn job_names_follow_what_the_job_runs() {
    let a = names_of(&compile(&csis()), "Job");
    assert_eq!(a, names_of(&compile(&csis()), "Job"));
    for n in &a {
        assert_eq!(n.rsplit('-').next().map(str::len), Some(8), "{n}");
    }
    // A Job's pod template cannot change once created: new resources are a new Job
    // (an unchanged name would make `kubectl apply` fail on an immutable field).
    let mut m = csis();
    m.apps[0].jobs[0].container.cpu = Some(cpu("1", "2"));
    let r = names_of(&compile(&m), "Job");
    assert_ne!(r[0], a[0]);
    assert_eq!(r[1], a[1]);
    // What can change on a live Job (deadline, retries, ttl) keeps the name.
    let mut m = csis();
    m.apps[0].jobs[0].timeout = Some(Duration { secs: 1200 });
    m.apps[0].jobs[0].retries = Some(3);
    m.apps[0].jobs[0].ttl = Some(Duration { secs: 60 });
    assert_eq!(names_of(&compile(&m), "Job"), a);
    // A new image is: both jobs get new names.
    let mut m = csis();
    m.apps[0].image = image("registry.example.com/csis:1.4.3");
    let b = names_of(&compile(&m), "Job");
    assert_ne!(a[0], b[0]);
    assert_ne!(a[1], b[1]);
    // A new command changes only that job.
    let mut m = csis();
    m.apps[0].jobs[1].container.command = strings(&["rails", "db:seed:replant"]);
    let c = names_of(&compile(&m), "Job");
    assert_eq!(a[0], c[0]);
    assert_ne!(a[1], c[1]);
}

#[test]
fn security_defaults_on_every_pod() {
    let objects = compile(&csis());
    for o in &objects {
        let spec = match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => {
                o.value.pointer("/spec/template/spec")
            }
            "CronJob" => o.value.pointer("/spec/jobTemplate/spec/template/spec"),
            _ => continue,
        };
        let Some(spec) = spec else {
            panic!("{} {} has no pod spec", o.kind, o.name)
        };
        assert_eq!(
            spec["automountServiceAccountToken"],
            json!(false),
            "{}",
            o.name
        );
        assert_eq!(spec["serviceAccountName"], json!("csis"));
        assert_eq!(
            spec["securityContext"],
            json!({
                "fsGroup": 10001,
                "runAsGroup": 10001,
                "runAsNonRoot": true,
                "runAsUser": 10001,
                "seccompProfile": {"type": "RuntimeDefault"}
            })
        );
        assert_eq!(
            spec["imagePullSecrets"],
            json!([{"name": "private-reg-cred"}])
        );
        let c = &spec["containers"][0];
        assert_eq!(
            c["securityContext"],
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "privileged": false,
                "readOnlyRootFilesystem": true
            })
        );
        assert_eq!(c["imagePullPolicy"], json!("Always"));
        assert_eq!(
            c["volumeMounts"],
            json!([{"mountPath": "/tmp", "name": "kiln-tmp"}])
        );
        assert_eq!(
            spec["volumes"],
            json!([{"emptyDir": {}, "name": "kiln-tmp"}])
        );
        assert!(c["resources"]["limits"]["cpu"].is_string());
        assert!(c["resources"]["requests"]["memory"].is_string());
        // The secret is a reference; its value is nowhere.
        assert_eq!(
            c["env"],
            json!([{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"key": "url", "name": "csis-db"}}}])
        );
    }
    let ns = find(&objects, "Namespace", "csis");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        json!("restricted")
    );
    let sa = find(&objects, "ServiceAccount", "csis");
    assert_eq!(sa["automountServiceAccountToken"], json!(false));
}

#[test]
fn operational_defaults() {
    let objects = compile(&csis());
    let web = find(&objects, "Deployment", "csis-web");
    // Autoscaled: no replicas, so apply does not fight the HPA.
    assert_eq!(web["spec"].get("replicas"), None);
    assert_eq!(
        web["spec"]["strategy"],
        json!({"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}, "type": "RollingUpdate"})
    );
    assert_eq!(
        web["spec"]["selector"],
        json!({"matchLabels": {"app.kubernetes.io/component": "web", "app.kubernetes.io/instance": "csis", "app.kubernetes.io/name": "csis"}})
    );
    let pod = &web["spec"]["template"]["spec"];
    assert_eq!(
        pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
            ["topologyKey"],
        json!("kubernetes.io/hostname")
    );
    let c = &pod["containers"][0];
    assert_eq!(
        c["readinessProbe"]["httpGet"],
        json!({"path": "/up", "port": "http"})
    );
    assert_eq!(c["livenessProbe"]["initialDelaySeconds"], json!(30));
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m", "memory": "512Mi"}})
    );
    let labels = &web["metadata"]["labels"];
    for key in [
        "name",
        "instance",
        "component",
        "part-of",
        "managed-by",
        "version",
    ] {
        assert!(
            labels.get(format!("app.kubernetes.io/{key}")).is_some(),
            "{key}"
        );
    }
    assert_eq!(labels["app.kubernetes.io/version"], json!("1.4.2"));
    let queue = find(&objects, "Deployment", "csis-queue");
    assert_eq!(queue["spec"]["replicas"], json!(2));
    let hpa = find(&objects, "HorizontalPodAutoscaler", "csis-web");
    assert_eq!(hpa["apiVersion"], json!("autoscaling/v2"));
    assert_eq!(hpa["spec"]["minReplicas"], json!(3));
    let ing = find(&objects, "Ingress", "csis-web");
    assert_eq!(
        ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/whitelist-source-range"],
        json!("1.1.1.0/24")
    );
    assert_eq!(ing["spec"]["ingressClassName"], json!("nginx"));
    assert_eq!(
        ing["spec"]["tls"],
        json!([{"hosts": ["csis.example.com"], "secretName": "csis-tls"}])
    );
    let job = &objects
        .iter()
        .find(|o| o.kind == "Job" && o.name.starts_with("csis-migrate-"))
        .map(|o| &o.value);
    let Some(job) = job else {
        panic!("no migrate job")
    };
    assert_eq!(job["spec"]["activeDeadlineSeconds"], json!(600));
    assert_eq!(
        job["spec"]["template"]["spec"]["restartPolicy"],
        json!("Never")
    );
    assert!(job["spec"]["ttlSecondsAfterFinished"].is_number());
    let cron = find(&objects, "CronJob", "csis-nightly");
    assert_eq!(cron["spec"]["concurrencyPolicy"], json!("Forbid"));
    assert_eq!(cron["spec"]["startingDeadlineSeconds"], json!(300));
}

#[test]
fn network_policies_follow_declarations() {
    let mut m = csis();
    m.apps[0].workloads[1].talks_to = vec!["web".into()];
    m.apps[0].restrict_egress = true;
    let objects = compile(&m);
    let deny = find(&objects, "NetworkPolicy", "csis");
    assert_eq!(
        deny["spec"],
        json!({
            "podSelector": {"matchLabels": {"app.kubernetes.io/instance": "csis"}},
            "policyTypes": ["Ingress", "Egress"]
        })
    );
    let web = find(&objects, "NetworkPolicy", "csis-web");
    let from: Vec<&Value> = web["spec"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| &r["from"][0])
        .collect();
    assert_eq!(
        from,
        [
            &json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}),
            &json!({"podSelector": {"matchLabels": {"app.kubernetes.io/component": "queue", "app.kubernetes.io/instance": "csis", "app.kubernetes.io/name": "csis"}}}),
        ]
    );
    let queue = find(&objects, "NetworkPolicy", "csis-queue");
    assert_eq!(queue["spec"]["policyTypes"], json!(["Egress"]));
    let egress = &queue["spec"]["egress"];
    assert_eq!(
        egress[0]["ports"][0],
        json!({"port": 53, "protocol": "UDP"})
    );
    assert_eq!(
        egress[1]["ports"],
        json!([{"port": 3000, "protocol": "TCP"}])
    );
    // Jobs may resolve names and nothing else.
    assert!(names_of(&objects, "NetworkPolicy").contains(&"csis-migrate".to_owned()));
}

/// A job or cron that `talks_to` a workload is admitted by the workload's policy (after
/// the workloads that talk to it) and, under `restrict_egress`, may reach it.
#[test]
fn job_and_cron_talks_to_admits_them_in_the_target_policy() {
    let mut m = csis();
    m.apps[0].workloads[1].talks_to = vec!["web".into()];
    m.apps[0].jobs[0].talks_to = vec!["web".into()];
    m.apps[0].crons[0].talks_to = vec!["web".into()];
    m.apps[0].restrict_egress = true;
    let objects = compile(&m);
    let web = find(&objects, "NetworkPolicy", "csis-web");
    let peer = |c: &str| json!({"podSelector": {"matchLabels": {"app.kubernetes.io/component": c, "app.kubernetes.io/instance": "csis", "app.kubernetes.io/name": "csis"}}});
    assert_eq!(
        web["spec"]["ingress"][1],
        json!({
            "from": [peer("queue"), peer("migrate"), peer("nightly")],
            "ports": [{"port": 3000, "protocol": "TCP"}]
        })
    );
    // The job's pods carry the labels the peer selects.
    let job = objects
        .iter()
        .find(|o| o.kind == "Job" && o.name.starts_with("csis-migrate-"))
        .expect("the migrate Job");
    let labels = &job.value["spec"]["template"]["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/component"], json!("migrate"));
    for name in ["csis-migrate", "csis-nightly"] {
        let p = find(&objects, "NetworkPolicy", name);
        assert_eq!(p["spec"]["policyTypes"], json!(["Egress"]));
        assert_eq!(
            p["spec"]["egress"][1],
            json!({"to": [peer("web")], "ports": [{"port": 3000, "protocol": "TCP"}]}),
            "{name}"
        );
    }
    // Without `talks_to` a job is admitted nowhere: the seed job's pods are not peers.
    assert!(!web.to_string().contains("\"seed\""));
}

#[test]
fn env_overrides_get_their_own_config_map() {
    let mut m = csis();
    let queue = &mut m.apps[0].workloads[1];
    queue
        .container
        .env
        .vars
        .insert("RAILS_MAX_THREADS".into(), plain("10"));
    queue.container.env.vars.insert(
        "RAILS_ENV".into(),
        EnvValue::Secret {
            name: "s".into(),
            key: "k".into(),
        },
    );
    let objects = compile(&m);
    let cms = names_of(&objects, "ConfigMap");
    assert_eq!(cms.len(), 2);
    assert!(cms[1].starts_with("csis-queue-env-"), "{cms:?}");
    let q = find(&objects, "Deployment", "csis-queue");
    let c = &q["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["envFrom"][0]["configMapRef"]["name"], json!(cms[0]));
    assert_eq!(c["envFrom"][1]["configMapRef"]["name"], json!(cms[1]));
    let env: Vec<&Value> = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["name"])
        .collect();
    assert_eq!(env, [&json!("DATABASE_URL"), &json!("RAILS_ENV")]);
    let data = &find(&objects, "ConfigMap", &cms[1])["data"];
    assert_eq!(data, &json!({"RAILS_MAX_THREADS": "10"}));
}

#[test]
fn stateful_daemon_and_volumes() {
    let mut a = app("pg", "postgres:16.4");
    a.namespace = "databases".into();
    let mut db = workload(WorkloadKind::Stateful, "db");
    db.container.ports = vec![Port {
        name: "postgres".into(),
        number: 5432,
        protocol: Protocol::Tcp,
    }];
    db.volumes = vec![
        Volume {
            name: "data".into(),
            mount: "/var/lib/postgresql/data".into(),
            read_only: false,
            source: VolumeSource::Claim {
                size: Memory {
                    bytes: 0,
                    text: "20Gi".into(),
                },
                storage_class: Some("standard-rwo".into()),
            },
            loc: loc(5),
        },
        Volume {
            name: "conf".into(),
            mount: "/etc/pg".into(),
            read_only: false,
            source: VolumeSource::Files(vec![FileContent {
                name: "pg.conf".into(),
                content: "max_connections = 100\n".into(),
            }]),
            loc: loc(6),
        },
    ];
    let mut logs = workload(WorkloadKind::Daemon, "shipper");
    logs.scheduling.tolerations = vec![Toleration {
        key: None,
        value: None,
        effect: None,
    }];
    logs.volumes = vec![Volume {
        name: "varlog".into(),
        mount: "/var/log".into(),
        read_only: true,
        source: VolumeSource::HostPath("/var/log".into()),
        loc: loc(7),
    }];
    a.workloads = vec![db, logs];
    let objects = compile(&Model { apps: vec![a] });
    let ss = find(&objects, "StatefulSet", "pg-db");
    assert_eq!(ss["spec"]["serviceName"], json!("pg-db"));
    assert_eq!(ss["spec"]["replicas"], json!(1));
    let claim = &ss["spec"]["volumeClaimTemplates"][0];
    assert_eq!(claim["metadata"]["name"], json!("data"));
    assert_eq!(claim["spec"]["storageClassName"], json!("standard-rwo"));
    assert_eq!(
        claim["metadata"]["labels"].get("app.kubernetes.io/version"),
        None
    );
    let svc = find(&objects, "Service", "pg-db");
    assert_eq!(svc["spec"]["clusterIP"], json!("None"));
    let files = names_of(&objects, "ConfigMap");
    assert!(files[0].starts_with("pg-db-conf-"), "{files:?}");
    let ds = find(&objects, "DaemonSet", "pg-shipper");
    let pod = &ds["spec"]["template"]["spec"];
    assert_eq!(pod["tolerations"], json!([{"operator": "Exists"}]));
    assert_eq!(pod["nodeSelector"], json!({"kubernetes.io/os": "linux"}));
    assert_eq!(
        pod["containers"][0]["volumeMounts"][0],
        json!({"mountPath": "/var/log", "name": "varlog", "readOnly": true})
    );
    // A host path needs the privileged Pod Security level; warn/audit stay restricted.
    let ns = find(&objects, "Namespace", "databases");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        json!("privileged")
    );
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/warn"],
        json!("restricted")
    );
    assert!(names_of(&objects, "PodDisruptionBudget").is_empty());
}

fn patch(target: &str, sets: &[(&str, Value)]) -> Patch {
    Patch {
        target: target.into(),
        sets: sets
            .iter()
            .enumerate()
            .map(|(i, (path, value))| PatchSet {
                path: path.split('.').map(str::to_owned).collect(),
                value: value.clone(),
                loc: loc(500 + i as u32),
            })
            .collect(),
        loc: loc(499),
    }
}

#[test]
fn patches_apply_after_defaults() {
    let mut m = csis();
    m.apps[0].workloads[0].patches = vec![
        patch(
            "deployment",
            &[
                ("spec.template.spec.priorityClassName", json!("high")),
                ("spec.template.spec.enableServiceLinks", Value::Null),
                ("spec.template.spec.containers.0.args", json!(["--verbose"])),
            ],
        ),
        patch("service", &[("metadata.name", json!("web"))]),
    ];
    let objects = compile(&m);
    let d = find(&objects, "Deployment", "csis-web");
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["priorityClassName"], json!("high"));
    assert_eq!(pod.get("enableServiceLinks"), None);
    assert_eq!(pod["containers"][0]["args"], json!(["--verbose"]));
    // A renamed Service: the Ingress follows.
    find(&objects, "Service", "web");
    let ing = find(&objects, "Ingress", "csis-web");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
        json!("web")
    );
}

#[test]
fn bad_patches_are_diagnostics_at_the_field() {
    let mut m = csis();
    m.apps[0].workloads[0].patches = vec![patch(
        "deployment",
        &[
            ("spec.template.spec.priorityClass", json!("high")),
            ("spec.minReadySeconds", json!("10")),
            ("metadata.namespace", json!("x")),
        ],
    )];
    m.apps[0].workloads[1].patches = vec![patch("service", &[("spec.type", json!("NodePort"))])];
    let d = errors(&m);
    let got: Vec<(String, u32, String)> = d
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.primary.loc.span.start,
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "K0402".into(),
                500,
                "did you mean `priorityClassName`?".into()
            ),
            (
                "K0403".into(),
                501,
                "write the value with the type the Kubernetes API reference gives".into()
            ),
            (
                "K0405".into(),
                502,
                "rename the block or the app instead".into()
            ),
            (
                "K0404".into(),
                499,
                "patch one of the kinds this block generates (see docs/output.md)".into()
            ),
        ]
    );
}

#[test]
fn names_too_long_for_kubernetes_are_errors() {
    let mut m = csis();
    m.apps[0].crons[0].name = "a-very-long-cron-name-that-is-fine-for-the-checker".into();
    let d = errors(&m);
    assert_eq!(d.len(), 1);
    assert_eq!(d.0[0].code.to_string(), "K0401");
    assert_eq!(d.0[0].primary.loc, loc(300));
}

#[test]
fn colliding_names_across_apps_are_errors() {
    let mut a = app("a", "x/y:1");
    let mut w = workload(WorkloadKind::Worker, "b-c");
    w.container.image = Some(image("x/y:1"));
    a.workloads.push(w);
    let mut b = app("a-b", "x/y:1");
    b.namespace = "a".into();
    b.workloads.push(workload(WorkloadKind::Worker, "c"));
    let d = errors(&Model { apps: vec![a, b] });
    assert!(d.iter().any(|d| d.code.to_string() == "K0411"), "{d:#?}");
}

#[test]
fn bundle_is_written_atomically() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("out");
    let objects = compile(&csis());
    emit::write_bundle(&objects, &dir).unwrap_or_else(|e| panic!("{e}"));
    let mut files: Vec<String> = std::fs::read_dir(dir.join("csis"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        // One file per release phase and job step, numbered in apply order.
        [
            "01-setup.yaml",
            "02-pre-deploy.yaml",
            "03-install-jobs.yaml",
            "04-deploy.yaml",
        ]
    );
    let snapshot = |d: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d.join("csis"))
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push((
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            ));
        }
        out.sort();
        out
    };
    let before = snapshot(&dir);
    // A run that fails half-way (an object whose directory cannot be created) leaves
    // the previous bundle byte-identical and no temporary directory behind.
    let mut broken = objects.clone();
    broken[3].app = "bad\0app".into();
    assert!(emit::write_bundle(&broken, &dir).is_err());
    assert_eq!(snapshot(&dir), before);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("out")]);
    // A successful run replaces it whole.
    let mut m = csis();
    m.apps[0].crons.clear();
    emit::write_bundle(&compile(&m), &dir).unwrap_or_else(|e| panic!("{e}"));
    let deploy = std::fs::read_to_string(dir.join("csis/04-deploy.yaml")).unwrap_or_default();
    assert!(deploy.contains("kind: Deployment") && !deploy.contains("CronJob"));
}

/// With `KILN_LOWER_DUMP=DIR`, writes each object of the hand-built models to its own
/// file, for `scripts/validate.sh DIR` (the examples are validated by tests/validate.rs
/// once the checker produces their models).
#[test]
fn dump_for_validation() {
    let Ok(dir) = std::env::var("KILN_LOWER_DUMP") else {
        return;
    };
    let mut m = csis();
    m.apps[0].workloads[1].talks_to = vec!["web".into()];
    m.apps[0].restrict_egress = true;
    for (i, o) in compile(&m).iter().enumerate() {
        let path = std::path::Path::new(&dir).join(format!("{i:03}-{}-{}.yaml", o.kind, o.name));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path, emit::to_yaml(std::slice::from_ref(o)))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
