//! The schema of every block kind, as data.
