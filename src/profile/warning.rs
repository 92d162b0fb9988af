//! A problem found while loading a profile that does not stop it loading (an unknown
//! inspec.yml key, a construct the model skips). Its own module because both the metadata
//! reader and the model produce them, and the model holds the metadata.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}
