//! The formatter: canonical layout of a parsed file, comments kept.
