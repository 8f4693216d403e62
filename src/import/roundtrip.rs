//! The round-trip contract of `kiln import`: the bundle compiled from the imported file,
//! diffed against the input manifests as `kiln diff --against` diffs them, differs only
//! by what kiln adds on purpose. Each difference is put in a category of
//! [`crate::diff::hardening`] (docs/import.md lists them with their reasons); a
//! difference in no category is a field the import lost.

use crate::diff::{self, DiffOptions, ObjectKey, Status, hardening};
use serde_json::Value;

pub use crate::diff::hardening::Category;

/// One difference between the input and the compiled bundle.
#[derive(Debug, Clone)]
pub struct Difference {
    /// `apps/v1 Deployment shop/shop-web`.
    pub object: String,
    /// The changed path (empty for a whole object).
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub op: &'static str,
    /// Why it is expected; `None`: the import lost or changed this.
    pub category: Option<Category>,
}

/// Compares the input (cleaned, under its own names) with the compiled bundle, as
/// `kiln diff --against` does, and classifies every difference
/// ([`crate::diff::hardening`]).
pub fn check(
    before: &[Value],
    after: &[Value],
    absorbed_config_maps: &[ObjectKey],
) -> Vec<Difference> {
    let mut report = diff::diff(
        before,
        after,
        &DiffOptions {
            namespace: None,
            report_removed: true,
        },
    );
    hardening::annotate(&mut report, before, after, absorbed_config_maps);
    let mut out = Vec::new();
    for o in &report.objects {
        let title = o.title();
        match o.status {
            Status::Unchanged => {}
            Status::Added | Status::Removed => out.push(Difference {
                object: title,
                path: String::new(),
                op: o.status.as_str(),
                category: o.category,
            }),
            Status::Changed => {
                for (i, c) in o.changes.iter().enumerate() {
                    out.push(Difference {
                        object: title.clone(),
                        path: c.path.clone(),
                        op: hardening::op_of(c.before.as_ref(), c.after.as_ref()),
                        category: o.categories.get(i).copied().flatten(),
                    });
                }
            }
        }
    }
    out
}
