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
}
