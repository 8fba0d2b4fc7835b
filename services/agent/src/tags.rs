//! `agent.tags`, as Jaeger's agent reads them: `k=v,k2=${ENV:default}`, where a value of the form
//! `${NAME:default}` (or `${NAME}`) takes the environment variable `NAME`, else the default.
//! The tags are appended to the process of every batch the agent forwards.

use std::collections::HashMap;

use spur_model::api_v2::KeyValue;

/// Parses the tag list, expanding `${ENV:default}` values from `env`.
pub fn parse(text: &str, env: &HashMap<String, String>) -> Result<Vec<KeyValue>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok(KeyValue::string(key.trim(), expand(value.trim(), env)))
            }
            _ => Err(format!("{pair:?} is not key=value")),
        })
        .collect()
}

fn expand(value: &str, env: &HashMap<String, String>) -> String {
    let Some(inner) = value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return value.to_owned();
    };
    let (name, default) = inner.split_once(':').unwrap_or((inner, ""));
    env.get(name).cloned().unwrap_or_else(|| default.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_the_environment_or_their_default() {
        let env = HashMap::from([("ZONE".to_owned(), "eu-1".to_owned())]);
        let tags = parse(
            "a=b, zone=${ZONE:none}, rack=${RACK:r0}, bare=${UNSET}",
            &env,
        )
        .unwrap();
        assert_eq!(
            tags,
            vec![
                KeyValue::string("a", "b"),
                KeyValue::string("zone", "eu-1"),
                KeyValue::string("rack", "r0"),
                KeyValue::string("bare", ""),
            ]
        );
        assert!(parse("novalue", &env).is_err());
        assert!(parse("=v", &env).is_err());
    }
}
