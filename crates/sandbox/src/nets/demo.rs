//! Deterministic Nets demo data (SB-08): one hotel account with terminals at two points of
//! sale (one of them offline) and a short history of finished payments.

use super::state::{AutoMode, Terminal, TxOutcome};
use super::terminal::PurchaseRequest;
use crate::shared::Shared;

/// Demo login user name.
pub const DEMO_USERNAME: &str = "demo-hotel";
/// Demo login password.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Loads the demo account, terminals and history.
pub(crate) fn load(shared: &Shared) {
    let now = shared.now();
    let mut st = Shared::lock(&shared.0.nets);
    st.accounts.insert(DEMO_USERNAME.into(), DEMO_PASSWORD.into());
    for (id, name, connected) in [
        ("T-1001", "Päätelaite I (Vastaanotto)", true),
        ("T-1002", "Päätelaite II (Vastaanotto)", false),
        ("T-2001", "Päätelaite III (Ravintola)", true),
    ] {
        st.terminals.insert(
            id.into(),
            Terminal {
                id: id.into(),
                name: name.into(),
                account: DEMO_USERNAME.into(),
                connected,
                currency: "CHF".into(),
                time_zone: chrono_tz::Europe::Zurich,
                mode: AutoMode::Manual,
                current: None,
                last: None,
            },
        );
    }
    let history = [
        ("T-1001", 12_50, "DEMO-1001", TxOutcome::Approved),
        ("T-1001", 80_00, "DEMO-1002", TxOutcome::Declined),
        ("T-2001", 45_90, "DEMO-2001", TxOutcome::Approved),
        ("T-2001", 9_00, "DEMO-2002", TxOutcome::CancelledByCustomer),
    ];
    for (terminal, amount, order, outcome) in history {
        let req = PurchaseRequest { transaction_type: "purchase".into(), amount, order_id: Some(order.into()) };
        if st.start(DEMO_USERNAME, terminal, req, now).is_ok() {
            st.finish(terminal, outcome, None, false, now);
        }
    }
}
