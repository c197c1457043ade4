//! More replicas of a service next to the platform's own process (OP-20: N replicas without
//! double work): the same environment, database and stream, their own ports, instance id and
//! log directory. The caller owns the returned process (kill, restart, stop).

use std::collections::BTreeMap;

use anyhow::Context;

use super::config::{self, PortPlan, Ports};
use super::{Platform, Service, ServiceUrls, env};
use crate::process::ServiceProcess;

impl Platform {
    /// Starts replica number `n` (2, 3 …) of `service` and waits until it is ready. Its logs go
    /// to `<log_dir>/replica-<n>/`.
    pub async fn start_replica(&self, service: Service, n: u32) -> anyhow::Result<ServiceProcess> {
        let mut ports = BTreeMap::new();
        for (s, u) in &self.urls {
            ports.insert(*s, ports_of(u)?);
        }
        let own = config::ports(PortPlan::Free, service)?;
        ports.insert(service, own);
        let mut vars = env::service_env(&self.config, service, &ports);
        vars.push(("INSTANCE_ID".to_owned(), format!("{}-{n}", service.package())));
        let dir = self.log_dir.join(format!("replica-{n}"));
        let mut p =
            ServiceProcess::start_with(service.package(), &service.binary(), &vars, own.grpc, own.admin, &dir).await?;
        p.wait_ready(self.config.ready_timeout).await?;
        Ok(p)
    }
}

fn port(url: &str) -> anyhow::Result<u16> {
    url.rsplit(':').next().and_then(|p| p.parse().ok()).with_context(|| format!("no port in {url}"))
}

fn ports_of(u: &ServiceUrls) -> anyhow::Result<Ports> {
    Ok(Ports {
        grpc: port(&u.grpc)?,
        admin: port(&u.admin)?,
        web: u.web.as_deref().map(port).transpose()?,
        console: u.console.as_deref().map(port).transpose()?,
    })
}
