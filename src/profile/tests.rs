//! Tests of the profile layer.
