//! Incident ids (PX-32): stable per (pixi API configuration, order, problem code, document),
//! so every retry, replica and restart names the same incident; short enough to read out on
//! the phone (`PXI-3F9A2C1B`).

use sha2::{Digest, Sha256};

/// The incident id of a problem.
pub fn incident_id(pixi_api: &str, order_nr: i64, code: &str, doc: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(pixi_api.as_bytes());
    h.update(b"\0");
    h.update(order_nr.to_be_bytes());
    h.update(code.as_bytes());
    h.update(b"\0");
    h.update(doc.unwrap_or_default().as_bytes());
    let digest = h.finalize();
    format!("PXI-{}", hex::encode_upper(&digest[..4]))
}

/// The incident id of a reconciliation mismatch.
pub fn mismatch_id(pixi_api: &str, order_nr: i64, code: &str, doc: &str) -> String {
    incident_id(pixi_api, order_nr, &format!("reconcile:{code}"), Some(doc)).replacen("PXI-", "RCN-", 1)
}

/// The id of an incident of a pixi API configuration (`PXT-…`): stable per (configuration,
/// code, subject), so every pass and replica names the same one.
pub fn api_incident_id(pixi_api: &str, code: &str, subject: &str) -> String {
    incident_id(pixi_api, 0, &format!("api:{code}"), Some(subject)).replacen("PXI-", "PXT-", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_32_incident_ids_are_stable_and_distinct() {
        let a = incident_id("api", 4711, "CAPTURE_FAILED", Some("INV1"));
        assert_eq!(a, incident_id("api", 4711, "CAPTURE_FAILED", Some("INV1")));
        assert!(a.starts_with("PXI-") && a.len() == 12, "{a}");
        let others = [
            incident_id("api2", 4711, "CAPTURE_FAILED", Some("INV1")),
            incident_id("api", 4712, "CAPTURE_FAILED", Some("INV1")),
            incident_id("api", 4711, "REFUND_FAILED", Some("INV1")),
            incident_id("api", 4711, "CAPTURE_FAILED", Some("INV2")),
            incident_id("api", 4711, "CAPTURE_FAILED", None),
        ];
        for o in others {
            assert_ne!(a, o);
        }
        assert!(mismatch_id("api", 1, "NOT_BOOKED", "G1").starts_with("RCN-"));
        let t = api_incident_id("api", "DISCOVERY_CALL_FAILED", "pixiGetChangedOrders");
        assert!(t.starts_with("PXT-") && t.len() == 12, "{t}");
        assert_ne!(t, api_incident_id("api", "DISCOVERY_CALL_FAILED", "pixiGetPaymenttypes"));
    }
}
