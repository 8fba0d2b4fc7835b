//! spur-config: the one configuration loader every Spur service uses.
//!
//! A setting is named by Jaeger's flag name (`collector.queue-size`). Its value is taken, the
//! last one found winning, from:
//!
//! 1. its default (declared with the setting);
//! 2. a YAML file given by `--config-file` (or `SPUR_CONFIG_FILE`), nested
//!    (`collector: {queue-size: 2000}`) or dotted (`collector.queue-size: 2000`), read with the
//!    `config` crate; lists become comma-separated values;
//! 3. the environment under Jaeger's name for the flag (`COLLECTOR_QUEUE_SIZE`: upper case,
//!    `.` and `-` become `_`), or the same name prefixed `SPUR_`;
//! 4. the command line, `--collector.queue-size=2000` (clap; `--help` lists every setting with
//!    its default and its environment name).
//!
//! The result, [`Settings`], is keyed by environment names, so readers written against
//! Jaeger's environment (the storage factory) read flags and files too. Typed configuration
//! structs read their fields through [`Settings::parse`], which records every bad value in
//! [`Problems`], each naming its key, so an operator fixes a configuration in one round. A key
//! in the file that no setting declares is such a problem too.
//!
//! It owns loading and naming only; each service owns its typed configuration.

pub mod duration;

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// Jaeger's `host:port` form: `:14250` means every interface; empty means disabled.
pub fn parse_host_port(text: &str) -> Result<Option<SocketAddr>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let full = if text.starts_with(':') {
        format!("0.0.0.0{text}")
    } else {
        text.replace("localhost:", "127.0.0.1:")
    };
    full.parse::<SocketAddr>()
        .map(Some)
        .map_err(|_| "not a host:port like :14250 or 127.0.0.1:14250".to_owned())
}

/// One setting: its Jaeger flag name, default (as text) and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

impl Setting {
    pub const fn new(key: &'static str, default: &'static str, help: &'static str) -> Setting {
        Setting { key, default, help }
    }

    /// Jaeger's environment name for the flag: `collector.queue-size` → `COLLECTOR_QUEUE_SIZE`.
    pub fn env_name(&self) -> String {
        env_name(self.key)
    }
}

/// Jaeger's environment name for a flag name.
pub fn env_name(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '.' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Where a setting's value came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Environment,
    Flag,
}

/// The loaded settings, keyed by environment name.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: BTreeMap<String, (String, Source)>,
}

/// One thing wrong with a configuration, and the key (flag name) it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found in a configuration (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration")?;
        for problem in &self.problems {
            write!(f, "; {problem}")?;
        }
        Ok(())
    }
}

/// Collects problems while a typed configuration is read; [`Problems::finish`] ends it.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }

    /// Adds problems reported elsewhere (e.g. by the storage factory), keyed as they were.
    pub fn extend(&mut self, problems: impl IntoIterator<Item = (String, String)>) {
        for (key, message) in problems {
            self.add(key, message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems: self.0 })
        }
    }

    /// [`finish`](Self::finish) for a process's `main`: prints the problems and gives exit
    /// code 2 when there are any.
    pub fn finish_process(self, program: Program) -> Result<(), std::process::ExitCode> {
        self.finish().map_err(|error| {
            eprintln!("{}: {error}", program.name);
            std::process::ExitCode::from(2)
        })
    }
}

/// What [`load`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `--help` or `--version` was asked for, or the command line is wrong: clap's message,
    /// to be printed and exited with (`clap::Error::exit`).
    #[error("{0}")]
    CommandLine(#[from] clap::Error),
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

/// Names the program for `--help`.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    pub name: &'static str,
    pub about: &'static str,
}

const CONFIG_FILE: &str = "config-file";

/// Loads settings from defaults, the YAML file, `env` (the process environment, passed in) and
/// `args` (including the program name first, as `std::env::args_os` gives). A key declared
/// twice (two services composed in one process) keeps its first declaration.
pub fn load(
    program: Program,
    declared: &[Setting],
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    env: &HashMap<String, String>,
) -> Result<Settings, LoadError> {
    let mut unique: Vec<Setting> = Vec::with_capacity(declared.len());
    for setting in declared {
        if !unique.iter().any(|known| known.key == setting.key) {
            unique.push(*setting);
        }
    }
    let declared = unique.as_slice();
    let matches = command(program, declared).try_get_matches_from(args)?;
    let mut settings = Settings::default();
    for setting in declared {
        settings.put(setting.key, setting.default.to_owned(), Source::Default);
    }
    let mut problems = Problems::default();
    let file = matches
        .get_one::<PathBuf>(CONFIG_FILE)
        .cloned()
        .or_else(|| env.get("SPUR_CONFIG_FILE").map(PathBuf::from));
    if let Some(file) = file {
        read_file(&file, declared, &mut settings, &mut problems);
    }
    for setting in declared {
        let name = setting.env_name();
        let spur_name = format!("SPUR_{name}");
        if let Some(value) = env.get(&spur_name).or_else(|| env.get(&name)) {
            settings.put(setting.key, value.clone(), Source::Environment);
        }
    }
    for setting in declared {
        if let Some(value) = matches.get_one::<String>(setting.key) {
            settings.put(setting.key, value.clone(), Source::Flag);
        }
    }
    problems.finish()?;
    Ok(settings)
}

/// [`load`] for a process's `main`: reads its arguments and environment; prints `--help`,
/// `--version` or a command-line error and exits as clap does; prints an invalid configuration
/// and returns exit code 2. Gives the settings and the environment they were read from.
pub fn load_process(
    program: Program,
    declared: &[Setting],
) -> Result<(Settings, HashMap<String, String>), std::process::ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    match load(program, declared, std::env::args_os(), &env) {
        Ok(settings) => Ok((settings, env)),
        Err(LoadError::CommandLine(error)) => error.exit(),
        Err(error) => {
            eprintln!("{}: {error}", program.name);
            Err(std::process::ExitCode::from(2))
        }
    }
}

/// The clap command: one `--<key>` per setting, plus `--config-file`.
pub fn command(program: Program, declared: &[Setting]) -> clap::Command {
    let mut command = clap::Command::new(program.name)
        .about(program.about)
        .version(env!("CARGO_PKG_VERSION"))
        .arg(
            clap::Arg::new(CONFIG_FILE)
                .long(CONFIG_FILE)
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf))
                .help("YAML file of settings, keyed by flag name (env SPUR_CONFIG_FILE)"),
        );
    for setting in declared {
        let default = if setting.default.is_empty() {
            String::new()
        } else {
            format!(" [default: {}]", setting.default)
        };
        command = command.arg(
            clap::Arg::new(setting.key)
                .long(setting.key)
                .value_name("VALUE")
                .help(format!(
                    "{}{default} [env: {}]",
                    setting.help,
                    setting.env_name()
                )),
        );
    }
    command
}

fn read_file(
    file: &std::path::Path,
    declared: &[Setting],
    settings: &mut Settings,
    problems: &mut Problems,
) {
    let source = config::File::from(file.to_path_buf()).format(config::FileFormat::Yaml);
    let table = match config::Config::builder().add_source(source).build() {
        Ok(loaded) => match loaded.try_deserialize::<config::Map<String, config::Value>>() {
            Ok(table) => table,
            Err(error) => {
                problems.add(CONFIG_FILE, format!("{}: {error}", file.display()));
                return;
            }
        },
        Err(error) => {
            problems.add(CONFIG_FILE, format!("{}: {error}", file.display()));
            return;
        }
    };
    let mut flat = Vec::new();
    flatten("", table, &mut flat);
    for (key, value) in flat {
        match declared.iter().find(|setting| setting.key == key) {
            Some(setting) => settings.put(setting.key, value, Source::File),
            None => problems.add(
                key,
                format!("in {}: not a setting of this service", file.display()),
            ),
        }
    }
}

/// Flattens nested tables to dotted keys; lists become comma-separated text.
fn flatten(
    prefix: &str,
    table: config::Map<String, config::Value>,
    out: &mut Vec<(String, String)>,
) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        match value.kind {
            config::ValueKind::Table(inner) => flatten(&key, inner, out),
            config::ValueKind::Array(items) => {
                let text: Vec<String> = items.into_iter().map(|item| item.to_string()).collect();
                out.push((key, text.join(",")));
            }
            config::ValueKind::Nil => out.push((key, String::new())),
            _ => out.push((key, value.to_string())),
        }
    }
}

impl Settings {
    fn put(&mut self, key: &str, value: String, source: Source) {
        self.values.insert(env_name(key), (value, source));
    }

    /// The value of a setting (by flag name), empty when declared without a default and unset.
    pub fn get(&self, key: &str) -> &str {
        self.values
            .get(&env_name(key))
            .map(|(value, _)| value.as_str())
            .unwrap_or("")
    }

    /// Where a setting's value came from, if it has one.
    pub fn source(&self, key: &str) -> Option<Source> {
        self.values.get(&env_name(key)).map(|(_, source)| *source)
    }

    /// Parses a setting; a bad value is recorded in `problems` and `None` returned.
    pub fn parse<T>(&self, key: &str, problems: &mut Problems) -> Option<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.parse_with(key, problems, |text| {
            text.trim().parse::<T>().map_err(|e| e.to_string())
        })
    }

    /// Parses a setting with `parse`; a bad value is recorded in `problems`.
    pub fn parse_with<T>(
        &self,
        key: &str,
        problems: &mut Problems,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.get(key);
        match parse(text) {
            Ok(value) => Some(value),
            Err(message) => {
                problems.add(key, format!("{text:?}: {message}"));
                None
            }
        }
    }

    /// The settings as environment variables (Jaeger's names), over `env`: for readers written
    /// against Jaeger's environment, such as the storage factory. Settings that only have
    /// their default do not hide a variable of `env`.
    pub fn as_env(&self, env: &HashMap<String, String>) -> HashMap<String, String> {
        let mut merged = env.clone();
        for (name, (value, source)) in &self.values {
            if *source != Source::Default || !merged.contains_key(name) {
                merged.insert(name.clone(), value.clone());
            }
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: Program = Program {
        name: "spur-test",
        about: "test",
    };
    const DECLARED: &[Setting] = &[
        Setting::new("collector.queue-size", "2000", "queue capacity"),
        Setting::new("kafka.producer.brokers", "127.0.0.1:9092", "brokers"),
        Setting::new("collector.tags", "", "tags"),
    ];

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn later_sources_win_and_names_follow_jaeger() {
        let directory = std::env::temp_dir().join(format!("spur-config-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = directory.join("c.yaml");
        std::fs::write(
            &file,
            "collector:\n  queue-size: 10\n  tags: a=b\nkafka.producer.brokers: [k1:9092, k2:9092]\n",
        )
        .unwrap();
        let args = ["spur-test", "--config-file", file.to_str().unwrap()];
        let loaded = load(PROGRAM, DECLARED, args, &env(&[])).unwrap();
        assert_eq!(loaded.get("collector.queue-size"), "10");
        assert_eq!(loaded.get("kafka.producer.brokers"), "k1:9092,k2:9092");
        assert_eq!(loaded.source("collector.tags"), Some(Source::File));

        let environment = env(&[
            ("COLLECTOR_QUEUE_SIZE", "20"),
            ("KAFKA_PRODUCER_BROKERS", "e:1"),
        ]);
        let loaded = load(PROGRAM, DECLARED, args, &environment).unwrap();
        assert_eq!(loaded.get("collector.queue-size"), "20");
        let environment = env(&[
            ("COLLECTOR_QUEUE_SIZE", "20"),
            ("SPUR_COLLECTOR_QUEUE_SIZE", "25"),
        ]);
        let loaded = load(PROGRAM, DECLARED, args, &environment).unwrap();
        assert_eq!(loaded.get("collector.queue-size"), "25");

        let with_flag = [
            "spur-test",
            "--config-file",
            file.to_str().unwrap(),
            "--collector.queue-size=30",
        ];
        let loaded = load(PROGRAM, DECLARED, with_flag, &environment).unwrap();
        assert_eq!(loaded.get("collector.queue-size"), "30");
        assert_eq!(loaded.as_env(&environment)["COLLECTOR_QUEUE_SIZE"], "30");
        assert_eq!(
            loaded.as_env(&environment)["KAFKA_PRODUCER_BROKERS"],
            "k1:9092,k2:9092"
        );
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn unknown_file_keys_and_bad_values_name_their_key() {
        let directory =
            std::env::temp_dir().join(format!("spur-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = directory.join("c.yaml");
        std::fs::write(&file, "collector:\n  queue-sise: 10\n").unwrap();
        let args = ["spur-test", "--config-file", file.to_str().unwrap()];
        let Err(LoadError::Invalid(error)) = load(PROGRAM, DECLARED, args, &env(&[])) else {
            panic!("an unknown key must be refused");
        };
        assert_eq!(error.problems[0].key, "collector.queue-sise");

        let loaded = load(
            PROGRAM,
            DECLARED,
            ["spur-test"],
            &env(&[("COLLECTOR_QUEUE_SIZE", "x")]),
        )
        .unwrap();
        let mut problems = Problems::default();
        assert_eq!(
            loaded.parse::<u32>("collector.queue-size", &mut problems),
            None
        );
        let error = problems.finish().unwrap_err();
        assert!(
            error.to_string().contains("collector.queue-size: \"x\""),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn a_key_declared_twice_keeps_its_first_declaration() {
        let twice = [
            Setting::new("admin.http.host-port", ":14269", "collector admin"),
            Setting::new("admin.http.host-port", ":16687", "query admin"),
        ];
        let loaded = load(PROGRAM, &twice, ["spur-test"], &env(&[])).unwrap();
        assert_eq!(loaded.get("admin.http.host-port"), ":14269");
    }

    #[test]
    fn help_lists_every_setting_with_default_and_env_name() {
        let help = command(PROGRAM, DECLARED).render_long_help().to_string();
        assert!(help.contains("--collector.queue-size"), "{help}");
        assert!(help.contains("[default: 2000]"), "{help}");
        assert!(help.contains("COLLECTOR_QUEUE_SIZE"), "{help}");
        assert!(matches!(
            load(PROGRAM, DECLARED, ["spur-test", "--nope=1"], &env(&[])),
            Err(LoadError::CommandLine(_))
        ));
    }
}
