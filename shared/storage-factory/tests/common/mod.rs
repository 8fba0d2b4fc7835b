//! Helpers the factory's test files share: an environment from pairs, and the keys an error
//! names.
#![allow(dead_code)]

use std::collections::HashMap;

pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

pub fn keys_of(error: &spur_storage_factory::ConfigError) -> Vec<&'static str> {
    error.problems.iter().map(|problem| problem.key).collect()
}
