//! The one table of diagnostic codes. Each entry has its code, a short name, its default
//! severity, a one-line summary and a long explanation with an example; `kiln explain`,
//! `docs/diagnostics.md` and the language server's hover all read this table.
//!
//! Ranges: K00xx syntax, K01xx schema and types, K02xx names and references, K03xx
//! values, K04xx compilation, K05xx release ordering, K06xx modules and profiles,
//! K09xx relaxations and risks (warnings).

use super::Severity;

/// Everything known about one code.
#[derive(Debug)]
pub struct CodeInfo {
    /// `K0101`.
    pub code: &'static str,
    /// `unknown-field`: stable, kebab-case.
    pub name: &'static str,
    /// The default severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Markdown: why this is a problem, an example that triggers it, and the fix.
    pub explanation: &'static str,
}

/// A diagnostic code: a reference into the table.
#[derive(Debug, Clone, Copy)]
pub struct Code(&'static CodeInfo);

impl Code {
    /// The table entry.
    pub fn info(self) -> &'static CodeInfo {
        self.0
    }

    /// `K0101`.
    pub fn as_str(self) -> &'static str {
        self.0.code
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}
impl Eq for Code {}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.code)
    }
}

/// Looks a code up by its text (`K0101`, case-insensitive) or its name (`unknown-field`).
pub fn lookup(text: &str) -> Option<Code> {
    ALL.iter()
        .copied()
        .find(|c| c.0.code.eq_ignore_ascii_case(text) || c.0.name == text)
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $id:ident = $code:literal, $name:literal, $sev:ident, $summary:literal, $expl:literal; )*) => {
        $(
            $(#[$doc])*
            pub const $id: Code = Code(&CodeInfo {
                code: $code,
                name: $name,
                severity: Severity::$sev,
                summary: $summary,
                explanation: $expl,
            });
        )*
        /// Every code, in table order.
        pub const ALL: &[Code] = &[$($id),*];
    };
}

codes! {
    /// The text does not follow the grammar.
    SYNTAX = "K0001", "syntax", Error,
        "the text does not follow the grammar",
        "The parser expected something else at this point: the message says what.\n\n\
         ```kiln\nservice web {\n  replicas 3      // error: expected `=` after field name `replicas`\n}\n```\n\n\
         Fix: write `replicas = 3`. kiln recovers at the next line, so every syntax error \
         in the file is reported in one run.";
    /// A string literal is not closed.
    UNTERMINATED_STRING = "K0002", "unterminated-string", Error,
        "a string literal is not closed",
        "Every string starts and ends with `\"` on the same logical literal.\n\n\
         ```kiln\nimage = \"registry.example.com/csis:1.4.2\n```\n\n\
         Fix: add the closing `\"`.";
    /// An escape sequence in a string is not one kiln knows.
    BAD_ESCAPE = "K0003", "bad-escape", Error,
        "unknown escape sequence in a string",
        "Strings accept `\\n`, `\\t`, `\\r`, `\\\\`, `\\\"`, `\\$` and `\\u{XXXX}`.\n\n\
         ```kiln\nname = \"a\\qb\"   // error: `\\q` is not an escape\n```\n\n\
         Fix: write `\\\\q` for a literal backslash.";
    /// Nesting deeper than the parser allows.
    TOO_DEEP = "K0004", "too-deep", Error,
        "blocks, lists or calls are nested too deeply",
        "kiln limits nesting (blocks, lists, calls, interpolations) to 64 levels so that \
         hostile or generated input cannot exhaust the stack. Real apps nest three or four \
         levels.\n\nFix: flatten the structure, or use `let` bindings.";
    /// An integer literal does not fit.
    NUMBER_TOO_LARGE = "K0005", "number-too-large", Error,
        "a number does not fit in 64 bits",
        "Numbers in kiln are 64-bit. `replicas = 99999999999999999999` cannot be \
         represented.\n\nFix: use a realistic value.";
    /// A reserved word used as a name.
    RESERVED_WORD = "K0006", "reserved-word", Error,
        "a reserved word is used as a name",
        "`import`, `template`, `profile`, `let`, `as`, `from`, `extends`, `true`, `false` \
         and `none` are reserved.\n\n```kiln\njob import { ... }   // error\n```\n\n\
         Fix: choose another name.";
    /// The file is too large or a limit on input size was hit.
    INPUT_TOO_LARGE = "K0007", "input-too-large", Error,
        "the input exceeds a size limit",
        "kiln refuses inputs larger than its documented limits (see docs/language.md, \
         \"Limits\") so that a pipeline never hangs on a generated file.\n\nFix: split the \
         file into modules.";
    /// An internal failure while generating objects (a kiln bug, never the input's fault).
    INTERNAL_LOWER = "K0400", "internal-lower", Error,
        "kiln failed to generate an object (an internal error)",
        "Generated objects are built from typed Kubernetes structures and serialized to \
         JSON; this cannot fail on any input the checker accepts. If you see this code, \
         kiln has a bug: please report it with the input that triggers it.\n\n\
         Fix: none on your side; a workaround is to remove the block the diagnostic \
         points at until kiln is fixed.";
    /// A generated object name exceeds a Kubernetes limit.
    NAME_TOO_LONG = "K0401", "name-too-long", Error,
        "a generated object name is too long for Kubernetes",
        "kiln names objects `{app}-{block}`, Jobs `{app}-{job}-{hash8}`, and some \
         controllers add their own suffix to the name: a Job's pods carry its name in a \
         label (at most 63 characters), a CronJob adds 11 characters to name its Jobs (so \
         at most 52), a StatefulSet adds `-{ordinal}` and a 10-character revision hash to \
         a label (so at most 52). The checker cannot know these suffixes; lowering can.\n\n\
         ```kiln\napp billing-platform-production {\n  job rebuild-all-customer-invoice-indexes { ... }   // error: 72 characters\n}\n```\n\n\
         Fix: shorten the app or block name.";
    /// A `patch` path is not a field of the target object.
    PATCH_UNKNOWN_FIELD = "K0402", "patch-unknown-field", Error,
        "a patch sets a field the Kubernetes object does not have",
        "`patch` blocks set fields of a generated object by path, and kiln checks every \
         path against the Kubernetes schema of that object (the API version kiln \
         targets), so a typo cannot silently produce a field the API server ignores or \
         rejects.\n\n\
         ```kiln\npatch deployment {\n  spec.template.spec.priorityClass = \"high\"   // error: did you mean `priorityClassName`?\n}\n```\n\n\
         Fix: use the field name from the Kubernetes API reference (camelCase, as in \
         YAML); list elements are addressed by index (`containers.0.image`).";
    /// A `patch` value has the wrong type for its field.
    PATCH_BAD_VALUE = "K0403", "patch-bad-value", Error,
        "a patch value does not have the type of its field",
        "The value of a patch is checked against the type of the Kubernetes field it \
         sets: a number where the API wants a string (or the reverse) is rejected by the \
         API server at apply time, far from the source.\n\n\
         ```kiln\npatch deployment {\n  spec.minReadySeconds = \"10\"   // error: expected an integer\n}\n```\n\n\
         Fix: write the value with the field's type (`spec.minReadySeconds = 10`).";
    /// A `patch` targets a kind the block does not generate.
    PATCH_UNKNOWN_TARGET = "K0404", "patch-unknown-target", Error,
        "a patch targets an object kind this block does not generate",
        "A `patch KIND { }` block applies to the objects of that kind generated from the \
         block it is in. A `worker` generates no Service, a `service` without \
         `autoscale` no HorizontalPodAutoscaler, and so on (see docs/output.md).\n\n\
         ```kiln\nworker queue {\n  patch service { spec.type = \"NodePort\" }   // error: a worker has no Service\n}\n```\n\n\
         Fix: patch a kind the block generates, or change the block so it generates it.";
    /// A `patch` sets a field kiln must own.
    PATCH_PROTECTED_FIELD = "K0405", "patch-protected-field", Error,
        "a patch sets a field that kiln must control",
        "`apiVersion`, `kind`, `metadata.name` and `metadata.namespace` identify an \
         object: other generated objects refer to it by them (Services select pods, \
         Deployments reference ConfigMaps), so patching them would break the bundle.\n\n\
         ```kiln\npatch service { metadata.name = \"web\" }   // error\n```\n\n\
         Fix: rename the block or the app instead.";
    /// An ingress `allow` list on a class kiln cannot enforce it for.
    INGRESS_ALLOW_UNSUPPORTED = "K0406", "ingress-allow-unsupported", Error,
        "`allow` is not supported for this ingress class",
        "Source-range restrictions are not part of the Ingress API: each controller has \
         its own annotation or resource. kiln knows `nginx` (the \
         `nginx.ingress.kubernetes.io/whitelist-source-range` annotation) and `traefik` \
         (an `ipAllowList` Middleware). For any other class, silently dropping `allow` \
         would expose the service to everyone.\n\n\
         ```kiln\ningress { host = \"a.example.com\"  class = \"haproxy\"  allow = [\"10.0.0.0/8\"] }   // error\n```\n\n\
         Fix: use `nginx` or `traefik`, or remove `allow` and restrict access with the \
         controller's own mechanism (a `patch ingress { metadata.annotations... }`).";
    /// The app's namespace is a system namespace kiln does not label.
    NAMESPACE_NOT_MANAGED = "K0407", "namespace-not-managed", Warning,
        "the namespace is a system namespace: no Namespace object is generated",
        "kiln writes a Namespace object labelled for Pod Security Standards enforcement. \
         For `default`, `kube-system`, `kube-public` and `kube-node-lease` that would \
         change the enforcement of pods kiln does not own (labelling `kube-system` \
         `restricted` can stop the cluster's own components), so kiln leaves these \
         namespaces alone. Objects in `default` also share it with everything else in \
         the cluster.\n\n```kiln\napp logs { namespace = \"kube-system\" ... }   // warning\n```\n\n\
         Fix: give the app its own namespace.";
    /// A ReadWriteOnce claim mounted by several replicas.
    SHARED_CLAIM = "K0408", "shared-claim", Warning,
        "a volume claim is shared by several replicas",
        "A `volume` with a `size` in a `service` or `worker` becomes one \
         PersistentVolumeClaim (ReadWriteOnce) that every replica mounts. Replicas on \
         different nodes cannot attach it, so they stay Pending. kiln also switches the \
         Deployment to the `Recreate` strategy so a rollout does not deadlock on the \
         claim.\n\n\
         ```kiln\nworker uploads {\n  replicas = 3\n  volume data { mount = \"/data\"  size = 10Gi }   // warning\n}\n```\n\n\
         Fix: use a `stateful` block (a claim per replica), one replica, or an existing \
         ReadWriteMany claim (`claim = \"shared-data\"`).";
    /// A probe needs a port and the container has none.
    PROBE_WITHOUT_PORT = "K0409", "probe-without-port", Error,
        "an http or tcp probe has no port to check",
        "`http(..)` and `tcp()` probes check the container's first port unless they name \
         one. A container without `port` or `ports` gives them nothing to check.\n\n\
         ```kiln\nworker queue {\n  health = tcp()   // error: `queue` has no port\n}\n```\n\n\
         Fix: give the probe a port (`tcp(6379)`), declare `port`, or use `exec([..])`.";
    /// The version label value is not a valid label value.
    BAD_VERSION_LABEL = "K0410", "bad-version-label", Warning,
        "the app version is not a valid label value: the version label is left out",
        "`app.kubernetes.io/version` is taken from `version` or the image tag. Label \
         values are at most 63 characters of letters, digits, `-`, `_` and `.`, starting \
         and ending with a letter or digit. A longer tag is a valid image reference but \
         not a valid label.\n\n\
         ```kiln\napp web { version = \"release/2024-05\" ... }   // warning: `/` is not allowed\n```\n\n\
         Fix: set `version` to a short value such as `2024.05`.";
    /// Two generated objects have the same kind, namespace and name.
    DUPLICATE_OBJECT = "K0411", "duplicate-object", Error,
        "two generated objects have the same name",
        "Object names are `{app}-{block}`, so `app a { service b-c }` and \
         `app a-b { service c }` both generate `a-b-c`. In one namespace, the second \
         would overwrite the first on apply.\n\n\
         Fix: rename a block or an app, or give the apps different namespaces.";
    /// A user label or annotation tries to replace one kiln sets.
    LABEL_OVERRIDE = "K0412", "label-override", Warning,
        "a label replaces one kiln manages: it is ignored",
        "kiln sets the `app.kubernetes.io/*` labels itself: selectors, NetworkPolicies \
         and PodDisruptionBudgets select pods by them, so another value would detach \
         objects from their pods.\n\n\
         ```kiln\nlabels { \"app.kubernetes.io/name\" = \"frontend\" }   // warning\n```\n\n\
         Fix: use another key (e.g. `team`, `tier`).";
    /// A field that the block's schema does not have.
    UNKNOWN_FIELD = "K0101", "unknown-field", Error,
        "the block has no field of this name",
        "Every block kind has a fixed set of fields (see docs/language.md). A misspelt \
         field would otherwise be silently ignored, and the default used instead of what \
         you meant.\n\n\
         ```kiln\nservice web {\n  replcas = 3      // error: did you mean `replicas`?\n}\n```\n\n\
         Fix: use the suggested name, or move the field to the block kind that has it (the \
         help line says which kinds do).";
    /// A block kind that is not allowed where it is written.
    UNKNOWN_BLOCK = "K0102", "unknown-block", Error,
        "this block kind is not allowed here",
        "Blocks nest in a fixed way: `autoscale` goes in a `service`, `worker` or \
         `stateful`, `routes` in the app-level `ingress`, and only `app` blocks are \
         allowed at the top of a file.\n\n\
         ```kiln\ndaemon logs {\n  autoscale { min = 1  max = 3 }   // error: a daemon runs one pod per node\n}\n```\n\n\
         Fix: correct the kind's spelling, move the block where it belongs, or write a \
         field (`port = 3000`) where you wrote a block.";
    /// A value of the wrong type.
    TYPE_MISMATCH = "K0103", "type-mismatch", Error,
        "the value does not have the field's type",
        "Each field has a type: `replicas` is a whole number, `image` a string, `cpu` a CPU \
         quantity, `after` a list of job names. kiln checks it before generating anything, \
         so a mistake is reported here instead of by the API server mid-release.\n\n\
         ```kiln\nservice web {\n  replicas = \"3\"   // error: expected a whole number, found a string\n}\n```\n\n\
         Fix: write the value in the expected form; the message says which form that is.";
    /// A required field is absent.
    MISSING_FIELD = "K0104", "missing-field", Error,
        "a required field or block is missing",
        "Some fields have no sensible default: an app's `image`, a service's `port`, a \
         cron's `schedule`, an ingress's `host`, a volume's `mount`.\n\n\
         ```kiln\ncron nightly {\n  command = [\"rails\", \"reports:nightly\"]\n}   // error: `schedule` is required\n```\n\n\
         Fix: add the field.";
    /// The same field twice in one block.
    DUPLICATE_FIELD = "K0105", "duplicate-field", Error,
        "the same field is set twice in one block",
        "A block sets each field once; with two values, one of them would silently win.\n\n\
         ```kiln\nservice web {\n  port = 3000\n  port = 8080   // error: `port` is already set\n}\n```\n\n\
         Fix: remove one of them. Profiles are the way to give a field another value in \
         another environment.";
    /// The same unnamed block twice.
    DUPLICATE_BLOCK = "K0106", "duplicate-block", Error,
        "a block that may appear once appears twice",
        "Unnamed blocks such as `env`, `security`, `autoscale` or `ingress` describe one \
         thing of their parent; two of them would have to be merged by guesswork.\n\n\
         ```kiln\napp csis {\n  env { RAILS_ENV = \"production\" }\n  env { REDIS_URL = \"redis://redis\" }   // error\n}\n```\n\n\
         Fix: merge the two blocks into one.";
    /// A block is missing its name, or has one it should not.
    BLOCK_NAME = "K0107", "block-name", Error,
        "a named block has no name, or an unnamed block has one",
        "Workloads, jobs, crons, volumes, sidecars, init containers, raw objects and \
         patches are named (`service web { }`, `patch deployment { }`); `env`, \
         `security`, `autoscale`, `ingress` and the like are not.\n\n\
         ```kiln\nservice {        // error: a service needs a name\n  port = 3000\n}\nenv prod { }     // error: `env` takes no name\n```\n\n\
         Fix: add or remove the name.";
    /// A bare word that is not one of the allowed words.
    UNKNOWN_WORD = "K0108", "unknown-word", Error,
        "the word is not one of the values this field allows",
        "Fields such as `run`, `concurrency` and `service_type` take one of a few words, \
         and `patch` blocks name one of the object kinds their block generates.\n\n\
         ```kiln\njob migrate {\n  run = before_deploi   // error: did you mean `before_deploy`?\n}\n```\n\n\
         Fix: use one of the words listed in the help line.";
    /// A call to an unknown function, or with the wrong arguments.
    BAD_CALL = "K0109", "bad-call", Error,
        "a call has an unknown function name or the wrong arguments",
        "Structured values are written as calls: `secret(\"name\", \"key\")`, \
         `http(\"/up\", port = 8080)`, `tcp(5432)`, `exec([..])`, `file(\"path\")`, \
         `toleration(\"key\", value = \"v\", effect = no_schedule)`. Each takes a fixed \
         set of arguments.\n\n\
         ```kiln\nenv {\n  DATABASE_URL = secret(\"csis-db\")   // error: `secret` takes a name and a key\n}\n```\n\n\
         Fix: pass the arguments the help line lists.";
    /// Fields that cannot be used together.
    CONFLICTING_FIELDS = "K0110", "conflicting-fields", Error,
        "two fields or blocks contradict each other",
        "Some settings exclude others: a volume has at most one source (`size`, `claim`, \
         `secret`, `config_map`, `files`, `host_path`), `node_port` needs \
         `service_type = node_port`, `storage_class` needs `size`, and `health` is \
         either a field or a block.\n\n\
         ```kiln\nvolume data {\n  mount = \"/data\"\n  size  = 10Gi\n  claim = \"shared-data\"   // error: `size` already gives the volume a source\n}\n```\n\n\
         Fix: keep the one you mean.";
    /// Two things declared with the same name.
    DUPLICATE_NAME = "K0201", "duplicate-name", Error,
        "two things are declared with the same name",
        "Names identify objects: every block of an app becomes objects named \
         `{app}-{name}`, so a `service web` and a `worker web` would both be `csis-web`. \
         Names of apps, of the blocks of an app, of the volumes and containers of a \
         workload, of profiles and of `let` bindings in one scope are unique.\n\n\
         ```kiln\nservice web { port = 3000 }\nworker web { }   // error: `web` is already declared\n```\n\n\
         Fix: rename one of them.";
    /// A reference to a name that is not declared.
    UNDEFINED_REFERENCE = "K0202", "undefined-reference", Error,
        "a reference names something that is not declared",
        "`after`, `talks_to`, `routes` and `mounts` name other blocks of the app (or \
         volumes of the workload). A misspelt name would leave a job unordered or a \
         connection blocked by the NetworkPolicy.\n\n\
         ```kiln\njob seed {\n  after = [migrat]   // error: did you mean `migrate`?\n}\n```\n\n\
         Fix: use the name of a declared block.";
    /// Jobs that wait for each other.
    DEPENDENCY_CYCLE = "K0203", "dependency-cycle", Error,
        "jobs wait for each other in a cycle",
        "`after` orders jobs: a job starts when the jobs it lists have completed. If `a` \
         waits for `b` and `b` for `a`, neither ever starts and the release hangs.\n\n\
         ```kiln\njob migrate { after = [seed] }\njob seed    { after = [migrate] }   // error: migrate → seed → migrate\n```\n\n\
         Fix: remove one link of the cycle (the note lists all of them).";
    /// A name that is not a DNS-1123 label.
    INVALID_NAME = "K0204", "invalid-name", Error,
        "the name is not a valid Kubernetes name",
        "Names become parts of Kubernetes object names, which are DNS-1123 labels: \
         lowercase letters, digits and `-`, starting and ending with a letter or digit, \
         at most 63 characters. App names must also start with a letter, because \
         Service names (`{app}-{name}`) must. kiln identifiers also allow `_` and \
         capitals, so the checker rejects them here rather than the API server later.\n\n\
         ```kiln\nservice web_front { }   // error: write `web-front`\n```\n\n\
         Fix: use the suggested spelling.";
    /// A block name that is too long once the app name is prefixed.
    PREFIXED_NAME_TOO_LONG = "K0205", "prefixed-name-too-long", Error,
        "the object name `{app}-{name}` would be too long",
        "Objects are named `{app}-{name}`; Kubernetes limits names to 63 characters. Jobs \
         get a 9-character hash suffix (`-1a2b3c4d`) so each release's Job has its own \
         name, and CronJobs and StatefulSets are limited to 52 characters because their \
         controllers append suffixes of their own.\n\n\
         ```kiln\napp billing-platform-production {\n  job rebuild-all-customer-invoice-search-indexes { }   // error: 79 characters\n}\n```\n\n\
         Fix: shorten the block name or the app name.";
    /// A name used in a value or interpolation that is not bound.
    UNDEFINED_NAME = "K0206", "undefined-name", Error,
        "the name is not defined",
        "A bare word used as a value, or `${name}` in a string, must be a `let` binding in \
         scope or one of the built-in names (`app`: the app's name, `namespace`: its \
         namespace).\n\n\
         ```kiln\nlet domain = \"example.com\"\napp csis {\n  ingress { host = \"csis.${domian}\" }   // error: did you mean `domain`?\n}\n```\n\n\
         Fix: fix the spelling, add the `let`, or write text in quotes.";
    /// An env var name that is not a C identifier.
    INVALID_ENV_NAME = "K0207", "invalid-env-name", Error,
        "the env var name is not a C identifier",
        "Environment variable names in kiln are C identifiers (`[A-Za-z_][A-Za-z0-9_]*`): \
         names with `-` or `.` cannot be read by shells (`$RAILS-ENV` is `$RAILS` \
         followed by `-ENV`) and many runtimes.\n\n\
         ```kiln\nenv {\n  \"RAILS-ENV\" = \"production\"   // error: write `RAILS_ENV`\n}\n```\n\n\
         Fix: use `_` instead.";
    /// A port name that is not an IANA service name.
    INVALID_PORT_NAME = "K0208", "invalid-port-name", Error,
        "the port name is not a valid IANA service name",
        "Kubernetes port names are IANA service names: at most 15 lowercase letters, \
         digits and `-`, with at least one letter and no `-` at either end. The API \
         server rejects anything else.\n\n\
         ```kiln\nports {\n  prometheus-metrics = 9090   // error: 18 characters\n}\n```\n\n\
         Fix: use a shorter name such as `metrics`.";
    /// Two ports with the same name or number in one pod.
    PORT_CLASH = "K0209", "port-clash", Error,
        "two ports of a pod have the same name or number",
        "The main `port` is named `http`; the `ports` block adds more. Containers of a \
         pod share one network namespace, so two of them cannot listen on one port, and \
         a Service finds its target by port name.\n\n\
         ```kiln\nservice web {\n  port = 3000\n  ports { http = 8080 }   // error: `http` is the name of `port`\n}\n```\n\n\
         Fix: rename or renumber one of them.";
    /// A reference to a thing of the wrong kind.
    WRONG_REFERENCE_KIND = "K0210", "wrong-reference-kind", Error,
        "a reference names a block of the wrong kind",
        "`after` lists jobs, `talks_to` workloads, `routes` services (a worker has no \
         Service to route to), `mounts` volumes of the same workload.\n\n\
         ```kiln\ningress {\n  host = \"csis.example.com\"\n  routes { \"/\" = queue }   // error: `queue` is a worker\n}\n```\n\n\
         Fix: name a block of the expected kind.";
    /// A label or annotation key or value Kubernetes rejects.
    INVALID_LABEL = "K0211", "invalid-label", Error,
        "a label or annotation key, or a label value, is not valid",
        "Label and annotation keys are an optional DNS prefix and `/`, then up to 63 \
         letters, digits, `-`, `_` and `.`. Label values (also in `node_selector`) follow \
         the same rule for the name part, or are empty.\n\n\
         ```kiln\nlabels {\n  team = \"payments & billing\"   // error: spaces and `&` are not allowed\n}\n```\n\n\
         Fix: use an annotation for free text, or a simpler value.";
    /// A `let` that refers to itself.
    LET_CYCLE = "K0212", "let-cycle", Error,
        "a `let` binding refers to itself",
        "`let` bindings are expanded where they are used; a binding that uses itself, \
         directly or through others, has no value.\n\n\
         ```kiln\nlet a = \"${b}\"\nlet b = \"${a}\"   // error\n```\n\n\
         Fix: break the cycle with a literal value.";
    /// A `let` that is never used.
    UNUSED_LET = "K0213", "unused-let", Warning,
        "a `let` binding is never used",
        "An unused binding is usually a leftover or a typo in the place meant to use it.\n\n\
         ```kiln\nlet domian = \"example.com\"   // warning: never used\n```\n\n\
         Fix: use it or remove it.";
    /// Two volumes mounted at the same path.
    MOUNT_CLASH = "K0214", "mount-clash", Error,
        "two volumes are mounted at the same path",
        "A container mounts each volume at its `mount` path; two volumes at the same path \
         make the API server reject the pod.\n\n\
         ```kiln\nvolume cache { mount = \"/data\" }\nvolume data  { mount = \"/data\"  size = 10Gi }   // error\n```\n\n\
         Fix: give each volume its own path.";
    /// A port number outside the valid range.
    PORT_OUT_OF_RANGE = "K0301", "port-out-of-range", Error,
        "the port number is out of range",
        "Ports are 1..=65535; node ports are in the cluster's node port range, \
         30000..=32767 by default.\n\n\
         ```kiln\nservice web {\n  port = 80000   // error\n}\n```\n\n\
         Fix: use a valid port.";
    /// A CPU or memory quantity kiln cannot read.
    BAD_QUANTITY = "K0302", "bad-quantity", Error,
        "the quantity is malformed",
        "CPU is written in cores (`1`, `0.5`) or millicores (`250m`); memory in bytes with \
         a unit: `Ki Mi Gi Ti Pi Ei` (powers of 1024) or `k M G T P E` (powers of 1000). \
         `MB` or `GB` are not Kubernetes units, and a value must be a whole number of \
         millicores or bytes.\n\n\
         ```kiln\nmemory = 512MB   // error: did you mean `512Mi`?\n```\n\n\
         Fix: use a Kubernetes unit.";
    /// Memory written where CPU is expected, or the reverse.
    CPU_MEMORY_MIXUP = "K0303", "cpu-memory-mixup", Error,
        "a memory quantity where CPU is expected, or the reverse",
        "`512Mi` is memory and `250m` is CPU. In Kubernetes `m` means thousandths, so \
         `memory: 512m` asks for half a byte: a classic mistake that the API server \
         accepts and that makes the container unschedulable or killed at once.\n\n\
         ```kiln\nservice web {\n  cpu    = 512Mi   // error: `512Mi` is a memory quantity\n  memory = 500m    // error: did you mean `500Mi`?\n}\n```\n\n\
         Fix: swap the values, or use the right unit.";
    /// A duration kiln cannot read.
    BAD_DURATION = "K0304", "bad-duration", Error,
        "the duration is malformed",
        "Durations are whole seconds written with a unit: `s`, `m`, `h` or `d` (`30s`, \
         `10m`, `1.5h`). A plain number has no unit, and Kubernetes cannot express less \
         than a second in these fields.\n\n\
         ```kiln\njob migrate {\n  timeout = 600   // error: write `600s` or `10m`\n}\n```\n\n\
         Fix: add a unit.";
    /// A range whose start is larger than its end.
    INVERTED_RANGE = "K0305", "inverted-range", Error,
        "the start of a range is larger than its end",
        "`cpu = a .. b` and `memory = a .. b` are request .. limit, and Kubernetes rejects \
         a request above its limit; `autoscale` needs `min <= max`.\n\n\
         ```kiln\nmemory = 2Gi .. 1Gi   // error: the request is larger than the limit\n```\n\n\
         Fix: swap the two values.";
    /// A cron schedule kiln cannot read.
    BAD_CRON = "K0306", "bad-cron", Error,
        "the cron schedule is invalid",
        "Schedules have five fields: minute (0-59), hour (0-23), day of month (1-31), \
         month (1-12 or `JAN`-`DEC`) and day of week (0-6 or `SUN`-`SAT`), each `*`, a \
         value, a range `a-b`, a step `*/n` or `a-b/n`, or a list `a,b`. `@hourly`, \
         `@daily`, `@weekly`, `@monthly` and `@yearly` are shorthands. Kubernetes rejects \
         anything else when the CronJob is applied.\n\n\
         ```kiln\ncron nightly {\n  schedule = \"0 25 * * *\"   // error: hour 25\n}\n```\n\n\
         Fix: correct the field the message names.";
    /// An image not pinned to a tag or a digest.
    UNPINNED_IMAGE = "K0307", "unpinned-image", Error,
        "the image is not pinned to a tag or a digest",
        "A release runs a migration Job and then rolls the workloads, all from one image. \
         With `:latest` (or no tag, which means `:latest`), the migration may run against \
         one image and the pods pull another pushed in between, and any pod restarted later \
         may pull a different image again: the release is not what was reviewed, and \
         rolling back does not go back.\n\n\
         ```kiln\napp csis {\n  image = \"registry.example.com/csis:latest\"   // error\n}\n```\n\n\
         Fix: use a version tag (`:1.4.2`) or a digest (`@sha256:...`). If a mutable tag \
         is really intended, `security { mutable_tag = true }` turns the error into a \
         warning.";
    /// An image reference kiln cannot read.
    BAD_IMAGE = "K0308", "bad-image", Error,
        "the image reference is malformed",
        "Image references are `[registry[:port]/]path[:tag][@digest]`: repository path \
         components are lowercase, tags are up to 128 letters, digits, `_`, `.` and `-`, \
         and digests are `sha256:` followed by 64 hex digits. A malformed reference makes \
         every pod fail to pull.\n\n\
         ```kiln\nimage = \"registry.example.com/CSIS:1.4.2\"   // error: repository names are lowercase\n```\n\n\
         Fix: correct the part the label points at.";
    /// A CIDR block kiln cannot read.
    BAD_CIDR = "K0309", "bad-cidr", Error,
        "the CIDR block is invalid",
        "`allow` takes address ranges such as `\"1.1.1.0/24\"`. A single address needs \
         `/32` (`/128` for IPv6), and a range whose address has host bits set \
         (`1.1.1.1/24`) is ambiguous: did you mean the range or the one address?\n\n\
         ```kiln\ningress {\n  host  = \"csis.example.com\"\n  allow = [\"1.1.1.1/24\"]   // error\n}\n```\n\n\
         Fix: write the network address (`1.1.1.0/24`) or a `/32`.";
    /// A number outside the range the field accepts.
    OUT_OF_RANGE = "K0310", "out-of-range", Error,
        "the number is outside the range the field accepts",
        "Some fields bound their values: `autoscale.min` is at least 1, a percentage is \
         1..=1000, `replicas` at most 10000, ids are 32-bit.\n\n\
         ```kiln\nautoscale { min = 0  max = 10 }   // error: `min` is at least 1\n```\n\n\
         Fix: use a value in the range the message gives.";
    /// A path that is not absolute.
    BAD_PATH = "K0311", "bad-path", Error,
        "the path is not absolute",
        "Mount paths, host paths, HTTP probe paths and ingress paths start with `/`.\n\n\
         ```kiln\nvolume data {\n  mount = \"data\"   // error: write `/data`\n}\n```\n\n\
         Fix: start the path with `/`.";
    /// A file named by `file(..)` cannot be read.
    MISSING_FILE = "K0312", "missing-file", Error,
        "the file cannot be read",
        "`file(\"path\")` reads a file at compile time, relative to the directory of the \
         `.kiln` file, so the bundle is complete and reproducible.\n\n\
         ```kiln\nvolume conf {\n  mount = \"/etc/nginx/conf.d\"\n  files = [file(\"nginx.conf\")]   // error if ./nginx.conf does not exist\n}\n```\n\n\
         Fix: correct the path or add the file.";
    /// A raw object file without what every Kubernetes object needs.
    BAD_RAW_OBJECT = "K0313", "bad-raw-object", Error,
        "the raw object is not a valid Kubernetes object",
        "A `raw` block carries one object through unchanged. It must be one YAML or JSON \
         object with `apiVersion`, `kind` and `metadata.name`, or the API server rejects \
         it.\n\n\
         ```kiln\nraw backend-config {\n  file = file(\"backend-config.yaml\")   // error if the file has no `kind`\n}\n```\n\n\
         Fix: complete the object, or split a multi-document file into several `raw` \
         blocks.";
    /// A host name that is not a DNS name.
    INVALID_HOST = "K0314", "invalid-host", Error,
        "the host name is invalid",
        "An ingress `host` is a lowercase DNS name (optionally `*.` for a wildcard), \
         without scheme, port or path.\n\n\
         ```kiln\ningress {\n  host = \"https://csis.example.com/\"   // error: write `csis.example.com`\n}\n```\n\n\
         Fix: write the bare host name; paths go in `path` or `routes`.";
    /// A Linux capability kiln does not know.
    UNKNOWN_CAPABILITY = "K0315", "unknown-capability", Error,
        "the capability is not a Linux capability",
        "`add_capabilities` takes Linux capability names as Kubernetes spells them: in \
         capitals and without the `CAP_` prefix. A misspelt capability is silently ignored \
         by some runtimes and rejected by others.\n\n\
         ```kiln\nsecurity {\n  add_capabilities = [\"CAP_NET_BIND_SERVICE\"]   // error: write `NET_BIND_SERVICE`\n}\n```\n\n\
         Fix: use the spelling in the help line.";
    /// Formerly: `import` and templates not supported. No longer reported.
    NOT_SUPPORTED = "K0601", "not-supported", Error,
        "this feature is not supported yet (no longer reported)",
        "Early versions of kiln parsed `import` and `template` without resolving them \
         and reported this code. Both are supported now (see \"Modules\" in \
         docs/language.md); the code is kept because codes are never renumbered.\n\n\
         ```kiln\nimport \"std/rails\"   // was K0601; now loads the standard module\n```\n\n\
         Fix: none needed; upgrade kiln if an old version reports it.";
    /// A profile name that does not exist.
    UNKNOWN_PROFILE = "K0602", "unknown-profile", Error,
        "no profile of this name exists",
        "`--profile NAME` and `extends NAME` name a `profile` declared in the file.\n\n\
         ```kiln\nprofile production extends prod-base { }   // error if there is no `prod-base`\n```\n\n\
         Fix: use the name of a declared profile (the help line lists them).";
    /// A profile path that does not lead to a field.
    BAD_PROFILE_PATH = "K0603", "bad-profile-path", Error,
        "the profile path does not name a field or block",
        "A profile path starts with an app name and follows block names and kinds to a \
         field: `csis.web.replicas`, `csis.web.autoscale.max`, `csis.env.RAILS_ENV`. \
         Every profile is checked, whether or not it is selected, so a typo is found \
         before the release that uses it.\n\n\
         ```kiln\nprofile staging {\n  csis.web.replica = 1   // error: did you mean `replicas`?\n}\n```\n\n\
         Fix: correct the path.";
    /// `= none` on something required.
    NONE_NOT_ALLOWED = "K0604", "none-not-allowed", Error,
        "`none` is used on something that is required",
        "`none` removes an optional field or block; a required one (an app's `image`, a \
         service's `port`) cannot be removed.\n\n\
         ```kiln\nprofile staging {\n  csis.web.port = none   // error: a service needs a port\n}\n```\n\n\
         Fix: set another value instead.";
    /// Profiles that extend each other.
    PROFILE_CYCLE = "K0605", "profile-cycle", Error,
        "profiles extend each other in a cycle",
        "`extends` applies another profile first; if two profiles extend each other there \
         is no first.\n\n\
         ```kiln\nprofile a extends b { }\nprofile b extends a { }   // error\n```\n\n\
         Fix: remove one `extends`.";
    /// A container allowed to run as root.
    RUN_AS_ROOT = "K0901", "run-as-root", Warning,
        "a container may run as root",
        "kiln runs containers as a non-root user by default. As root, a process that \
         escapes the container (through a kernel or runtime bug) is root on the node, and \
         files on mounted volumes are writable by anyone in the pod.\n\n\
         ```kiln\nsecurity { run_as_root = true }   // warning\n```\n\n\
         Fix: build the image to run as a non-root user; keep the relaxation only when the \
         image cannot.";
    /// A privileged container.
    PRIVILEGED = "K0902", "privileged", Warning,
        "a container runs privileged",
        "A privileged container has every capability and access to all of the node's \
         devices: compromising it is compromising the node.\n\n\
         ```kiln\nsecurity { privileged = true }   // warning\n```\n\n\
         Fix: add the one capability needed (`add_capabilities`) instead.";
    /// Privilege escalation allowed.
    PRIVILEGE_ESCALATION = "K0903", "privilege-escalation", Warning,
        "a container allows privilege escalation",
        "With `allowPrivilegeEscalation`, setuid binaries in the image can gain more \
         privileges than the container was started with.\n\n\
         ```kiln\nsecurity { privilege_escalation = true }   // warning\n```\n\n\
         Fix: remove the setuid dependency from the image.";
    /// A writable root filesystem.
    WRITABLE_ROOT = "K0904", "writable-root", Warning,
        "a container's root filesystem is writable",
        "kiln mounts the root filesystem read-only (with an `emptyDir` at `/tmp`). A \
         writable root lets an attacker replace the container's binaries and persist \
         until the pod restarts.\n\n\
         ```kiln\nsecurity { writable_root = true }   // warning\n```\n\n\
         Fix: mount a `volume` at the directories the program writes to.";
    /// A capability added back.
    ADDED_CAPABILITY = "K0905", "added-capability", Warning,
        "a Linux capability is added back",
        "kiln drops every capability. Each one added back widens what a compromised \
         process may do (`NET_RAW` forges packets, `SYS_ADMIN` is nearly root).\n\n\
         ```kiln\nsecurity { add_capabilities = [\"NET_BIND_SERVICE\"] }   // warning\n```\n\n\
         Fix: listen on a port above 1024 instead of adding `NET_BIND_SERVICE`; keep other \
         capabilities only when the program needs them.";
    /// The ServiceAccount token is mounted.
    SERVICE_ACCOUNT_TOKEN = "K0906", "service-account-token", Warning,
        "the Kubernetes API token is mounted in the pods",
        "kiln does not mount the ServiceAccount token. With it, anyone who compromises the \
         pod can call the Kubernetes API with the app's permissions.\n\n\
         ```kiln\nsecurity { service_account_token = true }   // warning\n```\n\n\
         Fix: keep it only for programs that talk to the Kubernetes API.";
    /// A host path volume.
    HOST_PATH = "K0907", "host-path", Warning,
        "a volume mounts a directory of the node",
        "A `host_path` volume gives the pod the node's files: it can read other pods' \
         data and logs, and, unless mounted `read_only`, alter the node.\n\n\
         ```kiln\nvolume logs { mount = \"/var/log\"  host_path = \"/var/log\" }   // warning\n```\n\n\
         Fix: mount it `read_only`, and keep it to node agents (`daemon`).";
    /// Tolerating every taint.
    TOLERATE_ALL = "K0908", "tolerate-all", Warning,
        "the pods tolerate every taint",
        "Taints keep ordinary pods off special nodes (control plane, GPU, dedicated). \
         Tolerating all of them schedules the pods there too, including nodes being \
         drained.\n\n\
         ```kiln\ndaemon logs { tolerate_all = true }   // warning\n```\n\n\
         Fix: list the taints to tolerate with `tolerations`, or keep `tolerate_all` for \
         node agents that must run everywhere.";
    /// A service with a single replica.
    SINGLE_REPLICA = "K0909", "single-replica", Warning,
        "a service runs a single replica",
        "With one replica there is no PodDisruptionBudget to protect it, and every node \
         drain, upgrade or eviction is downtime.\n\n\
         ```kiln\nservice web { port = 3000  replicas = 1 }   // warning\n```\n\n\
         Fix: run at least two replicas (or `autoscale { min = 2 .. }`); a profile for a \
         test environment may keep one on purpose.";
    /// A service without a health check.
    NO_HEALTH = "K0910", "no-health", Warning,
        "a service has no health check",
        "Without a readiness probe, a pod receives traffic as soon as its process starts \
         (before it can answer), and a hung process is never restarted.\n\n\
         ```kiln\nservice web { port = 3000 }   // warning: add `health = http(\"/up\")`\n```\n\n\
         Fix: add `health = http(\"/path\")`, `tcp()` or `exec([..])`.";
    /// An ingress without TLS.
    INGRESS_WITHOUT_TLS = "K0911", "ingress-without-tls", Warning,
        "an ingress serves plain HTTP",
        "Without `tls`, the ingress serves the host over plain HTTP: credentials and \
         cookies cross the network readable by anyone on the path.\n\n\
         ```kiln\ningress { host = \"csis.example.com\" }   // warning: no `tls`\n```\n\n\
         Fix: set `tls = \"secret-name\"` to a Secret holding the certificate (e.g. one \
         cert-manager maintains).";
    /// A job that runs before the workloads waits for one that runs after them.
    JOB_ORDER_IMPOSSIBLE = "K0501", "job-order-impossible", Error,
        "a job that runs before the workloads waits for one that runs after them",
        "A release runs `before_deploy` jobs before the workloads roll and `after_deploy` \
         jobs once they rolled out. An `on_install` job runs with the `before_deploy` jobs, \
         unless it waits for an `after_deploy` job: then it runs after the workloads too. \
         A `before_deploy` job that waits, directly or through such `on_install` jobs, for \
         an `after_deploy` job could never start: the diagnostic shows the whole chain.\n\n\
         ```kiln\njob migrate { run = before_deploy  after = [seed] }   // error\njob seed    { run = on_install     after = [notify] }\njob notify  { run = after_deploy }\n```\n\n\
         Fix: remove one `after` link of the chain, or make the first job `after_deploy` \
         too (the \"deploy, then migrate\" strategy, see docs/ordering.md).";
    /// A release job waits for a manual job.
    AFTER_MANUAL_JOB = "K0502", "after-manual-job", Error,
        "a job waits for a manual job",
        "A `manual` job never runs in a release (it is a suspended CronJob an operator \
         starts with `kubectl create job --from=cronjob/...`), so a release job that waits \
         for it would wait forever.\n\n\
         ```kiln\njob backfill { run = manual }\njob migrate  { after = [backfill] }   // error\n```\n\n\
         Fix: remove the manual job from `after`, or give it a `run` phase.";
    /// A release with downtime.
    RELEASE_DOWNTIME = "K0503", "release-downtime", Warning,
        "the release scales the app to zero while a migration runs",
        "`compatible = none` says the previous release's code cannot run on the schema the \
         job leaves behind. `kiln plan` then takes the \"downtime\" strategy: it scales the \
         app's services and workers to zero, runs the job, and scales them back, so no old \
         pod ever talks to the new schema. The app is down meanwhile, on every release.\n\n\
         ```kiln\njob migrate {\n  command    = [\"rails\", \"db:migrate\"]\n  compatible = none   // warning: every release has downtime\n}\n```\n\n\
         Fix: write migrations the previous release survives (add columns and tables \
         first, remove them a release later) and drop `compatible = none`.";
    /// A job setting that does nothing where it is.
    JOB_SETTING_IGNORED = "K0504", "job-setting-ignored", Warning,
        "a setting of a manual job has no effect",
        "A `manual` job is not part of a release: an operator starts it (a suspended \
         CronJob, `kubectl create job --from=cronjob/...`). `after` orders nothing there, \
         and `compatible = none` cannot stop workloads around a job no release runs.\n\n\
         ```kiln\njob backfill { run = manual  after = [migrate] }   // warning\n```\n\n\
         Fix: remove the setting, or change the job's `run`.";
    /// The deploy tool cannot express the downtime strategy.
    DOWNTIME_NOT_EXPRESSIBLE = "K0505", "downtime-not-expressible", Warning,
        "the deploy tool cannot stop the workloads around a migration",
        "With `compatible = none`, the old code must not run while the job runs. Only \
         `kiln plan` (the `kubectl` target) can scale the services and workers to zero \
         and back: Argo CD, Helm and kapp apply the job before the workloads roll, but the \
         previous release's pods keep serving while it runs.\n\n\
         ```kiln\njob migrate { compatible = none }   // warning with `--for helm`\n```\n\n\
         Fix: release with `kiln plan`, or make the migration compatible with the \
         previous release.";
    /// An on_install job Argo CD would run on every sync.
    INSTALL_JOB_UNGUARDED = "K0506", "install-job-unguarded", Warning,
        "the on_install job cannot be limited to the first sync",
        "Argo CD has no \"first sync only\" hook. kiln guards an `on_install` job instead: \
         its command is started by `/bin/sh`, which exits at once when the app's install \
         marker ConfigMap (mounted, optional) exists. That needs the job's `command`: \
         without one, kiln does not know what to start, and the job runs on every sync.\n\n\
         ```kiln\njob seed { run = on_install }   // warning with `--for argocd`: no `command`\n```\n\n\
         Fix: give the job a `command` (and an image with `/bin/sh`).";
    /// Files that import each other.
    IMPORT_CYCLE = "K0606", "import-cycle", Error,
        "files import each other in a cycle",
        "An import makes the names of another file available; if two files import each \
         other, neither can be read first.\n\n\
         ```kiln\n// a.kiln\nimport \"./b.kiln\"\n// b.kiln\nimport \"./a.kiln\"   // error\n```\n\n\
         Fix: move what both need into a third module that imports neither.";
    /// An unknown standard-library module.
    UNKNOWN_MODULE = "K0607", "unknown-module", Error,
        "there is no standard module of this name",
        "Imports starting with `std/` name a module of the standard library, which is \
         embedded in kiln (`kiln explain` and docs/stdlib.md list them).\n\n\
         ```kiln\nimport \"std/rials\"   // error: did you mean `std/rails`?\n```\n\n\
         Fix: correct the name.";
    /// An imported file that cannot be read.
    MODULE_NOT_FOUND = "K0608", "module-not-found", Error,
        "the imported file cannot be read",
        "A relative import names a `.kiln` file relative to the importing file (the \
         `.kiln` extension may be left out). It must exist and be UTF-8 text.\n\n\
         ```kiln\nimport \"./shared.kiln\"   // error if there is no shared.kiln next to this file\n```\n\n\
         Fix: correct the path or add the file.";
    /// An import leaving the project directory.
    IMPORT_OUTSIDE_ROOT = "K0609", "import-outside-root", Error,
        "the import leaves the project directory",
        "A bundle should depend only on the files of its project (the directory of the \
         file compiled, or the directory given to `kiln compile DIR`), so that the same \
         checkout always compiles to the same output. An import that climbs out of it \
         (`../`, an absolute path, a symbolic link) is refused unless `--allow-outside` \
         is given.\n\n\
         ```kiln\nimport \"../../company/shared.kiln\"   // error without --allow-outside\n```\n\n\
         Fix: move the module into the project, or pass `--allow-outside`.";
    /// A name defined twice across modules (template or alias).
    DUPLICATE_MODULE_NAME = "K0610", "duplicate-module-name", Error,
        "a template or import alias is defined twice",
        "Templates of every imported file share one namespace, and the aliases of one \
         file's imports must differ.\n\n\
         ```kiln\nimport \"std/rails\" as lib\nimport \"./shared.kiln\" as lib   // error\n```\n\n\
         Fix: rename one of them.";
    /// `alias.name` naming nothing in the module.
    UNKNOWN_MODULE_NAME = "K0611", "unknown-module-name", Error,
        "the module has no binding of this name",
        "`alias.name` refers to a top-level `let` of the module imported `as alias`.\n\n\
         ```kiln\nimport \"./shared.kiln\" as shared\napp a { image = shared.imag }   // error: did you mean `image`?\n```\n\n\
         Fix: correct the name, or add the `let` to the module.";
    /// A block instantiating a template that does not exist.
    UNKNOWN_TEMPLATE = "K0612", "unknown-template", Error,
        "there is no template of this name",
        "`service web = NAME(...) { }` instantiates the template `NAME`, defined in this \
         file or in an imported one.\n\n\
         ```kiln\nimport \"std/rails\"\napp a {\n  service web = rails_wbe() { }   // error: did you mean `rails_web`?\n}\n```\n\n\
         Fix: correct the name, or import the module that defines it.";
    /// A template of another block kind.
    TEMPLATE_KIND = "K0613", "template-kind", Error,
        "the template makes another kind of block",
        "A template produces one kind of block (`template rails_web() service { }` makes \
         services); it can only be instantiated by a block of that kind.\n\n\
         ```kiln\nworker queue = rails_web() { }   // error: `rails_web` makes a `service`\n```\n\n\
         Fix: use a template of the right kind, or change the block's kind.";
    /// An argument the template does not take.
    BAD_ARGUMENT = "K0614", "bad-argument", Error,
        "the template has no such parameter",
        "Arguments of a template instantiation are positional (in the order of the \
         parameters) or named after a parameter, each given once.\n\n\
         ```kiln\nservice web = rails_web(prot = 3000) { }   // error: did you mean `port`?\n```\n\n\
         Fix: use the parameter names of the template (the help line lists them).";
    /// A parameter without default and without argument.
    MISSING_ARGUMENT = "K0615", "missing-argument", Error,
        "a template parameter without a default is not given",
        "A parameter declared without a default (`template pg(version: string)`) must be \
         given by every instantiation.\n\n\
         ```kiln\nstateful db = postgres() { }   // error: `postgres` needs `version`\n```\n\n\
         Fix: add the argument.";
    /// An argument that does not fit the parameter's declared type.
    ARGUMENT_TYPE = "K0616", "argument-type", Error,
        "the argument does not fit the parameter's type",
        "Template parameters are typed (`port: port`, `replicas: int`, `memory: \
         range(memory)`, `command: list(string)`); an argument (or default) of another \
         shape is refused at the instantiation, before the template's fields are checked \
         with it. A parameter type must be one kiln knows.\n\n\
         ```kiln\nservice web = rails_web(port = \"3000\") { }   // error: `port` expects a `port`\n```\n\n\
         Fix: write a value of the declared type.";
    /// A template made of itself.
    TEMPLATE_RECURSION = "K0617", "template-recursion", Error,
        "the template instantiates itself",
        "A template whose body contains a block made from the same template (directly or \
         through others) would never end.\n\n\
         ```kiln\ntemplate t() service { sidecar s = t() { } }   // error\n```\n\n\
         Fix: remove the recursive instantiation.";
    /// A `--set` that is not one `path = value`.
    BAD_SET = "K0618", "bad-set", Error,
        "a `--set` override is not one `path = value`",
        "`--set app.block.field=value` (and each variable of `--set-from-env`) is one \
         profile override, parsed and checked like source: the value is a kiln \
         expression, so strings are quoted.\n\n\
         ```sh\nkiln compile app.kiln --set 'csis.web.replicas=5' --set 'csis.env.MODE=\"fast\"'\n```\n\n\
         Fix: write one `path=value` per flag.";
    /// A plain env value that looks like a credential.
    PLAIN_SECRET = "K0912", "plain-secret", Warning,
        "an env value looks like a secret written in plain text",
        "Plain `env` values become a ConfigMap: anyone who can read ConfigMaps in the \
         namespace can read them, `kubectl describe` prints them, and they travel with the \
         bundle into CI artifacts and `kiln diff` output. A credential belongs in a Secret, \
         referred to by name. kiln warns when a value's name says it is a credential \
         (`PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, `..._KEY`: the names `kiln diff` masks) \
         and the value is not a number, a boolean or a path, or when the value itself looks \
         like one whatever its name (a URL with a password, a private key, an AWS access key \
         id). A `let` holding such a value is warned about at the binding, since the \
         value reaches the bundle wherever the name is used. The warning never repeats \
         the value, and no other diagnostic's snippet shows it either.\n\n\
         ```kiln\nenv {\n  DB_PASSWORD  = \"hunter2\"                          // warning\n  DATABASE_URL = \"postgres://app:hunter2@db/app\"   // warning\n}\n```\n\n\
         Fix: put the value in a Secret (`kubectl create secret generic db \
         --from-literal=password=...`, or your secret manager's operator) and write \
         `DB_PASSWORD = secret(\"db\", \"password\")`.";
    /// A template of the project that no block instantiates.
    UNUSED_TEMPLATE = "K0619", "unused-template", Warning,
        "a template is never instantiated",
        "A template is checked through its instantiations (its fields are checked with \
         each block's arguments), so a template no block uses is not checked at all, and \
         is usually left over from a refactoring. kiln reports the unused templates of the \
         file compiled, and of every file of a workspace (`kiln check DIR`); a shared \
         module imported by a single app may define templates other apps use, so those \
         are not reported when one app is compiled alone. The standard library is never \
         reported.\n\n\
         ```kiln\ntemplate old_web(port: port = 8080) service {   // warning: never used\n  port = port\n}\napp a { image = \"registry.example.com/a:1.0.0\" }\n```\n\n\
         Fix: instantiate it (`service web = old_web() { }`), remove it, or name it \
         `_old_web` to keep it on purpose.";
    /// A source file that is not UTF-8.
    NOT_UTF8 = "K0020", "not-utf8", Error,
        "the file is not valid UTF-8",
        "kiln source is UTF-8 text (a byte order mark at the start is accepted and \
         ignored). A file saved in another encoding (Latin-1, Windows-1252, UTF-16) or \
         holding binary bytes is reported at the first byte that is not UTF-8, with its \
         line, column and byte offset, and nothing in it is parsed: guessing what the \
         bytes meant could change names or values silently.\n\n\
         ```sh\nprintf 'let greeting = \"caf\\xe9\"\\n' > app.kiln   # `é` written in Latin-1\n\
         kiln check app.kiln\n# error[K0020]: the file is not valid UTF-8: 0xE9 at byte offset 19\n```\n\n\
         Fix: convert the file (`iconv -f LATIN1 -t UTF-8 app.kiln > app.utf8.kiln`), or \
         set the editor's encoding to UTF-8 and save it again.";
    /// `kiln import` could not use its input.
    IMPORT_INPUT = "K0701", "import-input", Error,
        "the manifests given to `kiln import` cannot be read",
        "`kiln import` reads YAML or JSON manifests (files, directories, `-` for stdin) \
         with the same bounds as `kiln diff --against`: at most 64 MiB, 100 levels of \
         nesting, aliases expanding a document to at most 8 times its size, no duplicate \
         keys, no YAML tags, and every document a Kubernetes object with `kind` and \
         `apiVersion`. A file that breaks one of these is refused as a whole, naming the \
         file and the document, so nothing is imported from half a file.\n\n\
         ```sh\nkiln import broken.yaml   # error[K0701]: `broken.yaml`: duplicate key `image`\n```\n\n\
         Fix: correct the file (or leave it out). A Helm chart is imported from its \
         rendered output: `helm template my-release ./chart > rendered.yaml`.";
    /// Nothing in the input can become kiln.
    IMPORT_EMPTY = "K0702", "import-empty", Error,
        "the input holds no Kubernetes object to import",
        "The manifests were read, but no object is left to import: the input is empty, \
         or holds only objects a controller makes from others (Pods, ReplicaSets, \
         Endpoints, objects with `ownerReferences`), which `kiln import` skips because \
         applying them would fight their controller.\n\n\
         ```sh\nkubectl get pods -o yaml | kiln import -   # error[K0702]: only Pods\n```\n\n\
         Fix: import the objects that own them: `kubectl get deploy,sts,svc,cm,ing -o yaml`.";
    /// The output file exists.
    IMPORT_OUTPUT_EXISTS = "K0703", "import-output-exists", Error,
        "`kiln import -o` would overwrite an existing file",
        "`kiln import -o app.kiln` never replaces a file (nor the raw objects next to it) \
         that is already there: an import is a starting point that is then edited by \
         hand, and running the import again must not silently discard those edits.\n\n\
         ```sh\nkiln import manifests/ -o app.kiln   # error[K0703] when app.kiln exists\n```\n\n\
         Fix: choose another name, or pass `--force` to replace it (the write is atomic: \
         the old file stays whole if the import fails).";
    /// Raw objects need files, so a file output.
    IMPORT_NEEDS_OUTPUT = "K0704", "import-needs-output", Error,
        "objects carried raw need `-o`: their YAML files go next to the `.kiln` file",
        "Objects kiln does not model (custom resources, RBAC, a ConfigMap mounted as \
         files) are carried through `raw NAME { file = file(\"raw/APP/NAME.yaml\") }` \
         blocks, which read a YAML file next to the `.kiln` file. Printing the `.kiln` \
         text on standard output cannot write those files, and leaving the objects out \
         would drop them.\n\n\
         ```sh\nkiln import cluster-dump.yaml   # error[K0704]: 2 objects are carried raw\n```\n\n\
         Fix: `kiln import cluster-dump.yaml -o app.kiln` (the raw files go to `raw/`).";
    /// The generated file does not check: a kiln bug.
    IMPORT_INTERNAL = "K0705", "import-internal", Error,
        "the imported file does not compile (a kiln bug; the text is saved aside)",
        "`kiln import` compiles the text it generates before writing it, and refuses to \
         write a file that would not compile: a broken `.kiln` file is worse than none. \
         When that happens it is a bug in the import, not in your manifests; the text is \
         saved to a temporary file whose path the message gives, with the compiler's \
         errors, so it can be reported and, meanwhile, fixed by hand.\n\n\
         ```sh\nkiln import odd.yaml -o app.kiln   # error[K0705]: ... saved to /tmp/kiln-import-failed-123.kiln\n```\n\n\
         Fix: report the manifests (without their Secrets) with the saved text; remove \
         the object that triggers it from the input to import the rest.";
    /// A generated ConfigMap over Kubernetes' 1 MiB limit.
    CONFIG_MAP_TOO_LARGE = "K0413", "config-map-too-large", Error,
        "a generated ConfigMap holds more than 1 MiB",
        "Plain `env` values and the files of a `files = [file(..)]` volume go into a \
         ConfigMap. Kubernetes stores each object in etcd, and the API server refuses a \
         ConfigMap whose keys and values (`data` and `binaryData`) add up to more than \
         1 MiB (1,048,576 bytes): `kubectl apply` would fail in the middle of a release. \
         kiln counts the bytes of every key and value and refuses the bundle instead.\n\n\
         ```kiln\nvolume static {\n  mount = \"/srv\"\n  files = [file(\"bundle.js\"), file(\"vendor.js\")]   // error: 1.4 MB together\n}\n```\n\n\
         Fix: keep large data out of the bundle: put it in the image, download it in an \
         init container, or split the files over several volumes (one ConfigMap each, \
         each under 1 MiB).";
}
