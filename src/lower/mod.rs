//! Lower: typed model → Kubernetes objects (k8s-openapi types, then JSON values in a
//! stable key order), with kiln's security and operational defaults.

use crate::check::model::Model;
use crate::diag::Diagnostics;
use crate::Options;

/// A supported Kubernetes minor version (1.33 through the newest k8s-openapi knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    /// Always 1.
    pub major: u32,
    /// 33..=37.
    pub minor: u32,
}

/// One generated Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The app it belongs to.
    pub app: String,
    /// `Deployment`, `Service`, ...
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The object, keys in conventional order (apiVersion, kind, metadata, spec).
    pub value: serde_json::Value,
}

/// Lowers a checked model. Errors are limits only lowering can see.
pub fn lower(_model: &Model, _options: &Options) -> Result<(Vec<Object>, Diagnostics), Diagnostics> {
    Ok((Vec::new(), Diagnostics::default()))
}
