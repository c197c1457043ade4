//! Typed configuration from environment variables (12-factor, OP-01). Every value is parsed and
//! validated at start-up; the first bad one stops the service with one line naming the
//! variable. Secrets may come from `NAME` or from the file named by `NAME_FILE` (Kubernetes
//! secret mounts) and are held as [`SecretString`].

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

/// A configuration value that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: String,
    /// Why it was refused (never contains a secret's value).
    pub reason: String,
}

impl ConfigError {
    /// An error for `var`.
    pub fn new(var: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError { var: var.into(), reason: reason.into() }
    }
}

/// A snapshot of environment variables to read configuration from.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Env { vars: std::env::vars().collect() }
    }

    /// An environment from explicit pairs (tests, launchers).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Env { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// Adds or replaces one variable.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    /// Every variable, in name order (to hand them to a child process).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The raw value; an empty value counts as unset.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A required value parsed with `FromStr`.
    pub fn required<T>(&self, name: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.optional(name)?.ok_or_else(|| ConfigError::new(name, "is required but not set"))
    }

    /// An optional value parsed with `FromStr`.
    pub fn optional<T>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.raw(name)
            .map(|v| v.trim().parse::<T>().map_err(|e| ConfigError::new(name, format!("invalid value {v:?}: {e}"))))
            .transpose()
    }

    /// A value with a default.
    pub fn or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        Ok(self.optional(name)?.unwrap_or(default))
    }

    /// A duration such as `250ms`, `30s`, `5m`, `2h` or `30d`, with a default.
    pub fn duration_or(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => parse_duration(v).map_err(|reason| ConfigError::new(name, reason)),
        }
    }

    /// A boolean (`true/false/1/0/yes/no`), with a default.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
            Some(v) => Err(ConfigError::new(name, format!("invalid value {v:?}: expected true or false"))),
        }
    }

    /// A required secret from `NAME` or from the file named by `NAME_FILE`.
    pub fn secret(&self, name: &str) -> Result<SecretString, ConfigError> {
        self.secret_optional(name)?
            .ok_or_else(|| ConfigError::new(name, format!("is required: set {name} or {name}_FILE")))
    }

    /// An optional secret from `NAME` or from the file named by `NAME_FILE`.
    pub fn secret_optional(&self, name: &str) -> Result<Option<SecretString>, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.raw(name), self.raw(&file_var)) {
            (Some(_), Some(_)) => Err(ConfigError::new(name, format!("set either {name} or {file_var}, not both"))),
            (Some(v), None) => Ok(Some(SecretString::from(v.to_owned()))),
            (None, Some(path)) => {
                let content = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::new(&file_var, format!("cannot read {path:?}: {e}")))?;
                let value = content.trim_end_matches(['\n', '\r']);
                if value.is_empty() {
                    return Err(ConfigError::new(&file_var, format!("file {path:?} is empty")));
                }
                Ok(Some(SecretString::from(value.to_owned())))
            }
            (None, None) => Ok(None),
        }
    }
}

/// Parses `250ms`, `30s`, `5m`, `2h`, `30d`; a bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid duration {text:?}: expected e.g. 500ms, 30s, 5m"))?;
    let secs = |mult: u64| n.checked_mul(mult).map(Duration::from_secs);
    let d = match unit {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        "d" => secs(86_400),
        _ => None,
    };
    d.ok_or_else(|| format!("invalid duration {text:?}: expected a unit of ms, s, m, h or d"))
}

/// Log output style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable, coloured (local).
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(LogFormat::Json),
            "pretty" | "text" => Ok(LogFormat::Pretty),
            _ => Err("expected json or pretty".into()),
        }
    }
}

/// Telemetry settings (OP-05, OP-06).
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// The service name on every log line and span.
    pub service: String,
    /// `LOG_FORMAT`: json (default) or pretty.
    pub log_format: LogFormat,
    /// `RUST_LOG`: tracing filter directives, default `info`.
    pub log_filter: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: OTLP/gRPC endpoint; unset means no export.
    pub otlp_endpoint: Option<String>,
    /// The standard `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` pair, default
    /// `parentbased_always_on` like the OpenTelemetry SDKs.
    pub sampler: TraceSampler,
}

/// The head sampler, as the OpenTelemetry SDK environment variables name it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceSampler {
    /// `always_on`.
    AlwaysOn,
    /// `always_off`.
    AlwaysOff,
    /// `traceidratio` with `OTEL_TRACES_SAMPLER_ARG` (0..=1, default 1).
    Ratio(f64),
    /// `parentbased_always_on` (the default).
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG`.
    ParentBasedRatio(f64),
}

impl TraceSampler {
    /// Reads `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let ratio = || -> Result<f64, ConfigError> {
            match env.raw("OTEL_TRACES_SAMPLER_ARG") {
                None => Ok(1.0),
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| ConfigError::new("OTEL_TRACES_SAMPLER_ARG", "expected a ratio between 0 and 1")),
            }
        };
        Ok(match env.raw("OTEL_TRACES_SAMPLER").map(str::trim) {
            None | Some("parentbased_always_on") => TraceSampler::ParentBasedAlwaysOn,
            Some("always_on") => TraceSampler::AlwaysOn,
            Some("always_off") => TraceSampler::AlwaysOff,
            Some("traceidratio") => TraceSampler::Ratio(ratio()?),
            Some("parentbased_always_off") => TraceSampler::ParentBasedAlwaysOff,
            Some("parentbased_traceidratio") => TraceSampler::ParentBasedRatio(ratio()?),
            Some(_) => {
                return Err(ConfigError::new(
                    "OTEL_TRACES_SAMPLER",
                    "expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio",
                ));
            }
        })
    }
}

impl TelemetryConfig {
    /// Reads the telemetry variables.
    pub fn from_env(env: &Env, service: &str) -> Result<Self, ConfigError> {
        if env.raw("OTEL_TRACES_SAMPLE_PER_MILLE").is_some() {
            return Err(ConfigError::new(
                "OTEL_TRACES_SAMPLE_PER_MILLE",
                "is replaced by the standard OTEL_TRACES_SAMPLER=parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=<ratio 0..1>",
            ));
        }
        let sampler = TraceSampler::from_env(env)?;
        Ok(TelemetryConfig {
            service: service.to_owned(),
            log_format: env.or("LOG_FORMAT", LogFormat::Json)?,
            log_filter: env.raw("RUST_LOG").unwrap_or("info").to_owned(),
            otlp_endpoint: env.raw("OTEL_EXPORTER_OTLP_ENDPOINT").map(str::to_owned),
            sampler,
        })
    }
}

/// Settings every service shares: listeners, database, bus, telemetry, shutdown.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// Service name, e.g. `pixi-sync`.
    pub service: String,
    /// `GRPC_ADDR`: the gRPC listener.
    pub grpc_addr: SocketAddr,
    /// `ADMIN_ADDR`: `/livez`, `/readyz`, `/metrics`.
    pub admin_addr: SocketAddr,
    /// Database settings.
    pub db: crate::db::DbConfig,
    /// Bus settings.
    pub bus: crate::bus::BusConfig,
    /// Telemetry settings.
    pub telemetry: TelemetryConfig,
    /// `GRPC_MAX_REQUEST_BYTES`: largest accepted request body, default 4 MiB.
    pub max_request_bytes: usize,
    /// `SHUTDOWN_GRACE`: how long in-flight work may take after SIGTERM, default 25s (the
    /// pod's `terminationGracePeriodSeconds` is 30s).
    pub shutdown_grace: Duration,
    /// `CALLERS` / `CALLERS_FILE`: who may call the gRPC API (SE-01); `None` only with
    /// `ALLOW_UNAUTHENTICATED=local-only`.
    pub callers: Option<std::sync::Arc<crate::grpc::auth::Credentials>>,
}

impl CommonConfig {
    /// The authenticator for [`crate::grpc::GrpcServer::with_access`].
    pub fn authenticator(&self) -> Option<std::sync::Arc<dyn crate::grpc::Authenticator>> {
        self.callers.clone().map(|c| c as std::sync::Arc<dyn crate::grpc::Authenticator>)
    }
}

impl CommonConfig {
    /// Reads the shared variables; `grpc_port` and `admin_port` are the service's defaults.
    pub fn from_env(env: &Env, service: &str, grpc_port: u16, admin_port: u16) -> Result<Self, ConfigError> {
        let default_grpc = SocketAddr::from(([0, 0, 0, 0], grpc_port));
        let default_admin = SocketAddr::from(([0, 0, 0, 0], admin_port));
        let max_request_bytes = env.or("GRPC_MAX_REQUEST_BYTES", 4 * 1024 * 1024usize)?;
        if max_request_bytes < 1024 {
            return Err(ConfigError::new("GRPC_MAX_REQUEST_BYTES", "must be at least 1024"));
        }
        Ok(CommonConfig {
            service: service.to_owned(),
            grpc_addr: env.or("GRPC_ADDR", default_grpc)?,
            admin_addr: env.or("ADMIN_ADDR", default_admin)?,
            db: crate::db::DbConfig::from_env(env, &service.replace('-', "_"))?,
            bus: crate::bus::BusConfig::from_env(env)?,
            telemetry: TelemetryConfig::from_env(env, service)?,
            max_request_bytes,
            shutdown_grace: env.duration_or("SHUTDOWN_GRACE", Duration::from_secs(25))?,
            callers: crate::grpc::auth::Credentials::from_env(env)?.map(std::sync::Arc::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn base() -> Env {
        Env::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("NATS_URL", "nats://localhost:4222"),
            ("CALLERS", "tests:0123456789abcdef0123:*:*"),
        ])
    }

    #[test]
    fn config_error_names_the_variable() {
        let cases: &[(&str, &str, &str)] = &[
            ("GRPC_ADDR", "not-an-address", "GRPC_ADDR"),
            ("ADMIN_ADDR", "1.2.3.4", "ADMIN_ADDR"),
            ("LOG_FORMAT", "xml", "LOG_FORMAT"),
            ("SHUTDOWN_GRACE", "10 parsecs", "SHUTDOWN_GRACE"),
            ("GRPC_MAX_REQUEST_BYTES", "-5", "GRPC_MAX_REQUEST_BYTES"),
            ("DB_MAX_CONNECTIONS", "0", "DB_MAX_CONNECTIONS"),
            ("OTEL_TRACES_SAMPLE_PER_MILLE", "100", "OTEL_TRACES_SAMPLE_PER_MILLE"),
            ("OTEL_TRACES_SAMPLER", "sometimes", "OTEL_TRACES_SAMPLER"),
        ];
        for (var, value, named) in cases {
            let mut env = base();
            env.set(*var, *value);
            let err = CommonConfig::from_env(&env, "echo", 50051, 9090).unwrap_err();
            assert_eq!(err.var, *named, "{var}={value}");
            let line = err.to_string();
            assert!(line.starts_with(&format!("configuration error: {named}: ")), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn the_standard_sampler_variables_are_honoured() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Result<TraceSampler, &'a str>);
        let cases: &[Case<'_>] = &[
            (None, None, Ok(TraceSampler::ParentBasedAlwaysOn)),
            (Some("always_off"), None, Ok(TraceSampler::AlwaysOff)),
            (Some("traceidratio"), Some("0.25"), Ok(TraceSampler::Ratio(0.25))),
            (Some("parentbased_traceidratio"), Some("0.1"), Ok(TraceSampler::ParentBasedRatio(0.1))),
            (Some("parentbased_traceidratio"), None, Ok(TraceSampler::ParentBasedRatio(1.0))),
            (Some("parentbased_traceidratio"), Some("1.5"), Err("OTEL_TRACES_SAMPLER_ARG")),
            (Some("parentbased_traceidratio"), Some("ten percent"), Err("OTEL_TRACES_SAMPLER_ARG")),
        ];
        for (sampler, arg, want) in cases {
            let mut env = base();
            if let Some(v) = sampler {
                env.set("OTEL_TRACES_SAMPLER", *v);
            }
            if let Some(v) = arg {
                env.set("OTEL_TRACES_SAMPLER_ARG", *v);
            }
            let got = TraceSampler::from_env(&env).map_err(|e| e.var);
            assert_eq!(got, want.map_err(str::to_owned), "{sampler:?} {arg:?}");
        }
    }

    #[test]
    fn missing_required_variable_is_named() {
        let env = Env::from_pairs([("NATS_URL", "nats://x")]);
        let err = CommonConfig::from_env(&env, "echo", 1, 2).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        let env = Env::from_pairs([("DATABASE_URL", "postgres://x")]);
        assert_eq!(CommonConfig::from_env(&env, "echo", 1, 2).unwrap_err().var, "NATS_URL");
    }

    #[test]
    fn defaults_apply() {
        let c = CommonConfig::from_env(&base(), "pixi-sync", 50051, 9090).unwrap();
        assert_eq!(c.grpc_addr.port(), 50051);
        assert_eq!(c.admin_addr.port(), 9090);
        assert_eq!(c.db.schema, "pixi_sync");
        assert_eq!(c.shutdown_grace, Duration::from_secs(25));
    }

    #[test]
    fn secrets_come_from_value_or_file_never_both() {
        let dir = std::env::temp_dir().join(format!("kit-secret-{}", std::process::id()));
        std::fs::write(&dir, "s3cret\n").unwrap();
        let env = Env::from_pairs([("API_KEY_FILE", dir.to_str().unwrap())]);
        assert_eq!(env.secret("API_KEY").unwrap().expose_secret(), "s3cret");
        let env = Env::from_pairs([("API_KEY", "direct")]);
        assert_eq!(env.secret("API_KEY").unwrap().expose_secret(), "direct");
        let env = Env::from_pairs([("API_KEY", "a"), ("API_KEY_FILE", "/x")]);
        assert_eq!(env.secret("API_KEY").unwrap_err().var, "API_KEY");
        let env = Env::from_pairs([("API_KEY_FILE", "/nonexistent/secret")]);
        let err = env.secret("API_KEY").unwrap_err();
        assert_eq!(err.var, "API_KEY_FILE");
        let env = Env::default();
        assert!(env.secret("API_KEY").unwrap_err().to_string().contains("API_KEY_FILE"));
        std::fs::remove_file(dir).ok();
    }

    #[test]
    fn secret_values_never_appear_in_errors() {
        let env = Env::from_pairs([("DB_MAX_CONNECTIONS", "hunter2"), ("DATABASE_URL", "postgres://u:pw@h/d")]);
        let err = env.or("DB_MAX_CONNECTIONS", 5u32).unwrap_err();
        assert_eq!(err.var, "DB_MAX_CONNECTIONS");
        let debug = format!("{:?}", env.secret("DATABASE_URL").unwrap());
        assert!(!debug.contains("pw"), "{debug}");
    }

    #[test]
    fn durations_table() {
        let cases = [
            ("250ms", Some(Duration::from_millis(250))),
            ("30s", Some(Duration::from_secs(30))),
            ("30", Some(Duration::from_secs(30))),
            ("5m", Some(Duration::from_secs(300))),
            ("2h", Some(Duration::from_secs(7200))),
            ("30d", Some(Duration::from_secs(2_592_000))),
            ("1.5s", None),
            ("s", None),
            ("-1s", None),
            ("10y", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text).ok(), want, "{text}");
        }
    }
}
