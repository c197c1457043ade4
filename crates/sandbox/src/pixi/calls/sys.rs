//! System calls pixi's own SDK uses to learn about an installation: the API revision and
//! whether a call is installed (pixi-sync's preflight and capability detection).

use super::super::model::Install;
use super::super::params::{Args, Ty, req};
use super::super::wire::{Fault, Row};
use super::{Call, Ctx, Sets, find, null};

pub(super) const GET_CURRENT_REVISION: Call =
    Call { name: "pixiSysGetCurrentRevision", params: &[], run: current_revision };

/// `CurrentRevision`: the installed API revision.
fn current_revision(inst: &mut Install, _: &Args, _: &Ctx) -> Result<Sets, Fault> {
    Ok(vec![vec![Row::new().s("CurrentRevision", &inst.revision)]])
}

pub(super) const GET_CALL_INFO: Call =
    Call { name: "pixiSysGetCallInfo", params: &[req("CallName", Ty::Str)], run: call_info };

/// `StatusMessage` says "… is not installed" for a call missing on this database (pixi's SDK
/// looks for that text).
fn call_info(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let name = a.text("CallName").ok_or_else(|| null("CallName"))?;
    let installed = find(name).is_some() && !inst.uninstalled.contains(name);
    let status =
        if installed { format!("API call {name} is installed") } else { format!("API call {name} is not installed") };
    Ok(vec![vec![Row::new().s("CallName", name).s("StatusMessage", status)]])
}
