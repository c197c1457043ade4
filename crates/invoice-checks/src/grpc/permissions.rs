//! Who may call what on invoice-checks's gRPC API (SE-02): one entry per method, the permission
//! it needs. A method missing here is refused and the server does not start (`kit::grpc::auth`).
//! Callers get permissions in `CALLERS` (`name:token:permissions:tenants`, see the README).

use kit::grpc::{Access, PermissionTable};

/// The permission of every method this server serves.
pub const TABLE: PermissionTable = &[
    ("payops.invoice_checks.v1.ManualPaymentService/SaveMerchant", Access::Needs("manual.merchants.write")),
    ("payops.invoice_checks.v1.ManualPaymentService/GetMerchant", Access::Needs("manual.merchants.read")),
    ("payops.invoice_checks.v1.ManualPaymentService/SaveOffer", Access::Needs("manual.offers.write")),
    ("payops.invoice_checks.v1.ManualPaymentService/GetOffer", Access::Needs("manual.offers.read")),
    ("payops.invoice_checks.v1.ManualPaymentService/ListOffers", Access::Needs("manual.offers.read")),
    ("payops.invoice_checks.v1.ManualPaymentService/PayManually", Access::Needs("manual.payments.pay")), // the shop, for its customer
    ("payops.invoice_checks.v1.ManualPaymentService/RecordManualPayment", Access::Needs("manual.payments.record")), // managers; moves money
    ("payops.invoice_checks.v1.ManualPaymentService/ApprovePayment", Access::Needs("manual.payments.approve")), // managers; moves money
    ("payops.invoice_checks.v1.ManualPaymentService/RejectPayment", Access::Needs("manual.payments.reject")), // managers; moves money
    ("payops.invoice_checks.v1.ManualPaymentService/RefundPayment", Access::Needs("manual.payments.refund")), // managers; moves money
    ("payops.invoice_checks.v1.ManualPaymentService/GetPayment", Access::Needs("manual.payments.read")),
    ("payops.invoice_checks.v1.ManualPaymentService/ListPayments", Access::Needs("manual.payments.read")),
    ("payops.invoice_checks.v1.SwissBillingService/CheckOrder", Access::Needs("swissbilling.orders.check")),
    ("payops.invoice_checks.v1.SwissBillingService/PreparePaymentPage", Access::Needs("swissbilling.orders.pay")),
    ("payops.invoice_checks.v1.SwissBillingService/VerifyReturn", Access::Needs("swissbilling.returns.verify")),
    ("payops.invoice_checks.v1.SwissBillingService/Maintain", Access::Needs("swissbilling.transactions.maintain")), // capture, refund, cancel; moves money
    ("payops.invoice_checks.v1.SwissBillingService/GetTransaction", Access::Needs("swissbilling.transactions.read")),
    (
        "payops.invoice_checks.v1.SwissBillingService/RefreshTransaction",
        Access::Needs("swissbilling.transactions.refresh"),
    ), // asks PostFinance, records the outcome
    ("payops.invoice_checks.v1.SwissBillingService/Preflight", Access::Needs("swissbilling.preflight.run")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_02_every_served_method_of_invoice_checks_has_exactly_one_permission_entry() {
        assert_eq!(kit::grpc::auth::package_table_problems(TABLE, "payops.invoice_checks.v1"), Vec::<String>::new());
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let problem =
            kit::grpc::auth::documented_table_problem(TABLE, env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"));
        assert_eq!(problem, None);
    }
}
