//! The terminal registry's use cases that ask Nets: registering a terminal only under an id the
//! tenant's Nets login lists (the login answer names the account's terminals), correcting a
//! wrong id or removing the terminal (the seed's troubleshooting: "the stored id must match
//! Nets'"), and the live view of a terminal for the picker (TG-04).

use super::Engine;
use crate::domain::terminal::{NetsView, TerminalSpec};
use crate::domain::{TenantId, TerminalId};
use crate::error::Error;
use crate::nets::{NetsError, NetsLogin};
use crate::store::{credentials, payments, terminals};

/// Whether Nets lists a terminal id for the tenant's login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listed {
    /// The login names it.
    Yes,
    /// The login (fresh) does not name it.
    No,
    /// Nets could not be asked (no credentials, login refused or unavailable).
    Unknown,
}

impl Engine {
    /// Does the tenant's login list `terminal`? A fresh login is tried once before saying no.
    pub(crate) async fn listed(&self, tenant: &TenantId, terminal: &str) -> Result<Listed, Error> {
        let Some(login) = credentials::load(self.pool(), self.sealer(), tenant).await? else {
            return Ok(Listed::Unknown);
        };
        for fresh in [false, true] {
            match self.nets().session(&login, fresh).await {
                Ok(s) if s.terminals.iter().any(|t| t == terminal) => return Ok(Listed::Yes),
                Ok(_) => {}
                Err(e) => {
                    tracing::info!(tenant = %tenant, error = %e, "cannot ask Nets which terminals the login has");
                    return Ok(Listed::Unknown);
                }
            }
        }
        Ok(Listed::No)
    }

    /// Registers a terminal; refused when the login positively does not list the id.
    pub async fn register_terminal(&self, spec: &TerminalSpec) -> Result<terminals::TerminalRecord, Error> {
        if self.listed(&spec.tenant_id, &spec.terminal_id).await? == Listed::No {
            return Err(Error::TerminalUnknownAtNets(spec.terminal_id.to_string()));
        }
        terminals::insert(self.pool(), spec, self.now()).await.map_err(|e| {
            if kit::db::is_constraint(&e, terminals::PKEY) {
                Error::TerminalExists(spec.terminal_id.to_string())
            } else {
                e.into()
            }
        })
    }

    /// Corrects a terminal's id (refused while a payment holds it, or when the login does not
    /// list the new id).
    pub async fn change_terminal_id(
        &self,
        tenant: &TenantId,
        id: &TerminalId,
        new_id: &TerminalId,
    ) -> Result<terminals::TerminalRecord, Error> {
        if self.listed(tenant, new_id).await? == Listed::No {
            return Err(Error::TerminalUnknownAtNets(new_id.to_string()));
        }
        if payments::holder_of(self.pool(), tenant.as_str(), id).await?.is_some() {
            return Err(Error::TerminalInUse(id.to_string()));
        }
        let mut tx = self.pool().begin().await?;
        let rec = terminals::change_id(&mut tx, tenant, id, new_id, self.now()).await.map_err(|e| {
            if kit::db::is_constraint(&e, terminals::PKEY) {
                Error::TerminalExists(new_id.to_string())
            } else {
                e.into()
            }
        })?;
        let rec = rec.ok_or_else(|| Error::TerminalUnknown(id.to_string()))?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Removes a terminal (refused while a payment holds it).
    pub async fn remove_terminal(&self, tenant: &TenantId, id: &TerminalId) -> Result<(), Error> {
        if payments::holder_of(self.pool(), tenant.as_str(), id).await?.is_some() {
            return Err(Error::TerminalInUse(id.to_string()));
        }
        let mut tx = self.pool().begin().await?;
        if !terminals::remove(&mut tx, tenant, id).await? {
            return Err(Error::TerminalUnknown(id.to_string()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// What Nets says about a terminal: listed by the login (else unknown at Nets), then its
    /// advisory state.
    pub(crate) async fn nets_view(&self, login: &NetsLogin, id: &str) -> NetsView {
        match self.nets().session(login, false).await {
            Ok(s) if !s.terminals.iter().any(|t| t == id) => return NetsView::NotFound,
            Ok(_) => {}
            Err(NetsError::LoginRefused(t)) => return NetsView::LoginFailed(t),
            Err(e) => return NetsView::Unavailable(e.to_string()),
        }
        match self.nets().terminal_state(login, id).await {
            Ok(s) => NetsView::State(s),
            Err(_) => NetsView::Listed,
        }
    }
}
