//! PostFinance demo data (SB-08): one merchant per environment (PSPIDs exist in one
//! environment only), each with an API user and a non-API user, and a few authorised
//! SwissBilling and card transactions ready for maintenance.

use super::admin::{PfTransaction, insert_merchant, insert_transaction};
use super::model::{Env, Merchant, User};
use super::sha::ShaAlgorithm;
use crate::shared::Shared;

/// Demo credentials: (env, PSPID, API user, API password, DirectLink SHA-IN, e-Commerce SHA-IN, SHA-OUT).
pub const ACCOUNTS: [(Env, &str, &str, &str, &str, &str, &str); 2] = [
    (
        Env::Test,
        "smarpayTEST",
        "payops-api",
        "Api-Test-Pass1",
        "DL-Test-Phrase!2025",
        "Ecom-In-Test!2025",
        "Ecom-Out-Test!2025",
    ),
    (
        Env::Prod,
        "smarpay",
        "payops-api",
        "Api-Prod-Pass1",
        "DL-Prod-Phrase!2025",
        "Ecom-In-Prod!2025",
        "Ecom-Out-Prod!2025",
    ),
];

/// (env, PSPID, ORDERID, amount in Rappen, PM/BRAND).
const ORDERS: [(Env, &str, &str, i64, &str); 5] = [
    (Env::Test, "smarpayTEST", "SB-1001", 14_900, "SwissBilling"),
    (Env::Test, "smarpayTEST", "SB-1002", 8_990, "SwissBilling"),
    (Env::Test, "smarpayTEST", "CC-2001", 4_500, "CreditCard"),
    (Env::Prod, "smarpay", "SB-9001", 25_000, "SwissBilling"),
    (Env::Prod, "smarpay", "SB-9002", 12_050, "SwissBilling"),
];

/// Loads the demo data.
pub fn load(shared: &Shared) {
    let now = shared.now();
    let mut state = Shared::lock(&shared.0.postfinance);
    for (env, pspid, user, pswd, dl, ecom_in, ecom_out) in ACCOUNTS {
        let m = Merchant {
            env,
            pspid: pspid.into(),
            users: vec![
                User { userid: user.into(), pswd: pswd.into(), api: true },
                User { userid: "backoffice".into(), pswd: "Backoffice-Pass1".into(), api: false },
            ],
            sha_algorithm: ShaAlgorithm::Sha256,
            directlink_sha_in: dl.into(),
            ecom_sha_in: ecom_in.into(),
            ecom_sha_out: ecom_out.into(),
            allowed_ips: vec!["*".into()],
            partial_maintenance: true,
            multiple_maintenance: true,
            refunds_enabled: true,
            settle_delay_secs: Some(300),
            auth_validity_days: 7,
            postsale_url: None,
            postsale_retry_ms: 600_000,
        };
        let _ = insert_merchant(&mut state, m);
    }
    for (env, pspid, orderid, amount, pm) in ORDERS {
        let t = PfTransaction {
            env,
            pspid: pspid.into(),
            orderid: orderid.into(),
            payid: None,
            amount,
            currency: None,
            pm: Some(pm.into()),
            brand: Some(if pm == "CreditCard" { "VISA".into() } else { pm.into() }),
            status: None,
            cardno: None,
            ip: None,
            at: None,
        };
        let _ = insert_transaction(&mut state, t, now);
    }
}
