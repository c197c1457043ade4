//! PGW demo data (SB-08): two API keys, four PROD devices (one TEST device) and a week of
//! payments up to the sandbox's "now" at start-up. Recent codes are still valid, older ones have
//! expired (each device's validity is 24–72 h), a few payments failed. The content (ids, codes,
//! references, numbers, amounts, times of day) is fixed by the seed; the dates follow the clock.

use chrono::{Days, NaiveTime, TimeZone};
use chrono_tz::Europe::Zurich;

use super::admin::{PgwDevice, PgwTransaction, insert_device, insert_transaction};
use super::model::{Env, TxStatus};
use crate::shared::Shared;

/// Demo API key of PROD.
pub const PROD_KEY: &str = "pgw-prod-demo-key";
/// Demo API key of TEST.
pub const TEST_KEY: &str = "pgw-test-demo-key";

const DEVICES: [(&str, &str, &str, &str, u32); 4] = [
    ("b10234", "DEV-0017", "Wohnbau Zürich AG", "Hardstrasse 12, 8005 Zürich", 72),
    ("b10551", "DEV-0042", "Immo Verwaltung Bern GmbH", "Länggassstrasse 8, 3012 Bern", 72),
    ("b20007", "DEV-0108", "Siedlungsgenossenschaft Limmat", "Limmatstrasse 210, 8005 Zürich", 48),
    ("b31415", "DEV-0231", "Régie du Lac SA", "Rue du Lac 3, 1207 Genève", 24),
];

const MOBILES: [&str; 6] =
    ["+41791234567", "+41764455667", "+41798887766", "+41771112233", "+41782223344", "+41793334455"];

const AMOUNTS: [i64; 5] = [200, 300, 350, 400, 500];

/// Loads the demo data.
pub fn load(shared: &Shared) {
    let now = shared.now();
    let seed = shared.0.seed;
    let mut state = Shared::lock(&shared.0.pgw);
    state.env_mut(Env::Prod).api_keys.insert(PROD_KEY.into());
    state.env_mut(Env::Test).api_keys.insert(TEST_KEY.into());
    for (b_code, internal_id, sub_merchant, location, hours) in DEVICES {
        let d = PgwDevice {
            env: Env::Prod,
            b_code: b_code.into(),
            internal_id: internal_id.into(),
            sub_merchant: sub_merchant.into(),
            location: location.into(),
            code_validity_hours: Some(hours),
        };
        let _ = insert_device(&mut state, d);
    }
    let test_device = PgwDevice {
        env: Env::Test,
        b_code: "b99001".into(),
        internal_id: "DEV-T001".into(),
        sub_merchant: "smarpay Testlabor".into(),
        location: "Testbank 1, 8000 Zürich".into(),
        code_validity_hours: Some(72),
    };
    let _ = insert_device(&mut state, test_device);

    let today = now.with_timezone(&Zurich).date_naive();
    for back in (0..7u64).rev() {
        let Some(day) = today.checked_sub_days(Days::new(back)) else { continue };
        for (k, (b_code, ..)) in DEVICES.iter().enumerate() {
            let k = k as u64;
            for j in 0..(1 + (back + k) % 3) {
                let hour = 7 + (back * 7 + k * 5 + j * 3) % 14;
                let minute = (k * 17 + j * 11 + back * 3) % 60;
                let Some(time) = NaiveTime::from_hms_opt(hour as u32, minute as u32, ((j * 23) % 60) as u32) else {
                    continue;
                };
                let Some(at) = Zurich.from_local_datetime(&day.and_time(time)).earliest() else { continue };
                let at = at.to_utc();
                if at > now {
                    continue;
                }
                let n = back + k + j;
                let t = PgwTransaction {
                    env: Env::Prod,
                    id: None,
                    twint_ref: None,
                    device: (*b_code).into(),
                    mobile: MOBILES[((back + 2 * k + j) % 6) as usize].into(),
                    at,
                    amount_rappen: AMOUNTS[(n % 5) as usize],
                    payment_method: None,
                    status: Some(if n % 11 == 5 { TxStatus::Failed } else { TxStatus::Completed }),
                    code: None,
                    valid_until: None,
                };
                let _ = insert_transaction(&mut state, seed, now, t);
            }
        }
    }
}
