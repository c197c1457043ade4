//! The payment methods and booking events a new installation starts with (unless created
//! with `no_defaults`), as the pixi support would set them up for the unzer app.

use super::model::{BookingEvent, Install, PaymentMethod};

/// Default payment methods: code, name, XML tag.
const METHODS: [(&str, &str, &str); 6] = [
    ("UNZERCC", "unzer Kredit-/Debitkarte", "UNZERCARD"),
    ("UNZERPP", "unzer PayPal", "UNZERPAYPAL"),
    ("VORKASSE", "unzer Vorkasse", "UNZERPREPAYMENT"),
    ("UNZERINV", "unzer Rechnungskauf (Paylater)", "UNZERINVOICE"),
    ("UNZERDD", "unzer Lastschrift (Paylater)", "UNZERDIRECTDEBIT"),
    ("RECHNUNG", "Rechnung (Heidelpay, alte App)", "HEIDELPAYIV"),
];

/// Default booking events: id, name, sign.
const EVENTS: [(&str, &str, i8); 2] = [("UZE", "unzer Zahlungseingang", 1), ("UZR", "unzer Rückerstattung", -1)];

/// Adds the default payment methods and booking events.
pub(crate) fn install(i: &mut Install) {
    for (code, text, tag) in METHODS {
        let m = PaymentMethod {
            code: code.into(),
            text: text.into(),
            xml_tag: tag.into(),
            direct_charge: false,
            auto_paid: false,
            ini_status: "HAL".into(),
        };
        i.payment_methods.insert(code.into(), m);
    }
    for (id, name, sign) in EVENTS {
        i.booking_events.insert(id.into(), BookingEvent { event_id: id.into(), name: name.into(), sign });
    }
}
