//! The pixi client of a configuration, with what its installation's API revision allows
//! (`pixiSysGetCurrentRevision`, asked at most once an hour per configuration). A revision that
//! cannot be read leaves the client conservative: it sends only the parameters every supported
//! revision has (the preflight says so).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use secrecy::SecretString;
use uuid::Uuid;

use super::Inner;
use crate::pixi::{Caps, PixiClient, PixiError, PixiTarget};
use crate::store::pixi_apis::PixiApiRow;

/// How long a detected revision is trusted.
const FRESH: Duration = Duration::from_secs(3600);

/// Detected capabilities per pixi API configuration, with when they were read.
#[derive(Debug, Default)]
pub struct CapsCache(Mutex<HashMap<Uuid, (Caps, DateTime<Utc>)>>);

impl CapsCache {
    fn get(&self, id: Uuid, now: DateTime<Utc>) -> Option<Caps> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&id).filter(|(_, at)| (now - *at).to_std().unwrap_or_default() < FRESH).map(|(c, _)| *c)
    }

    fn put(&self, id: Uuid, caps: Caps, now: DateTime<Utc>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(id, (caps, now));
    }
}

/// A client for `api` (its password opened by the caller) with the installation's capabilities.
pub async fn client(i: &Inner, api: &PixiApiRow, password: SecretString, tz: Tz) -> PixiClient {
    let target = PixiTarget { endpoint: api.endpoint.clone(), user: api.username.clone(), password, tz };
    let base = PixiClient::new(i.pixi_http.clone(), target, i.clock.clone(), i.settings.quiet, Caps::default())
        .with_meter(api.tenant_id, i.pixi_calls.clone());
    let now = i.clock.now();
    if let Some(caps) = i.pixi_caps.get(api.id, now) {
        return base.with_caps(caps);
    }
    if base.quiet_now() {
        return base;
    }
    match base.revision().await {
        Ok(r) => {
            let caps = Caps::of(Some(r));
            i.pixi_caps.put(api.id, caps, now);
            base.with_caps(caps)
        }
        // Not installed, or an answer we cannot read as a revision: conservative, and not asked
        // again for an hour.
        Err(e @ (PixiError::Refused { .. } | PixiError::Contract(_))) => {
            tracing::warn!(pixi_api = %api.id, error = %e, "pixi revision unknown; sending only parameters every revision has");
            i.pixi_caps.put(api.id, Caps::default(), now);
            base
        }
        Err(_) => base,
    }
}
