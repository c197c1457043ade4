//! The echo service's configuration: only the shared settings (gRPC 50050, admin 9050).

use kit::config::{CommonConfig, ConfigError, Env};

/// Echo settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
}

impl Config {
    /// Reads the configuration; the error names the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Config { common: CommonConfig::from_env(env, "echo", 50050, 9050)? })
    }
}
