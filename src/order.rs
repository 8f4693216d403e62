//! Order: the apply order of a bundle (and, later, release phases and deploy-tool
//! annotations).

use crate::lower::Object;

/// Sorts objects into apply order, stably.
pub fn sort(_objects: &mut [Object]) {}
