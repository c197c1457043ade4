//! The console speaks German (CN-01): the gRPC API's reasons (English, for developers) become
//! the German sentences the merchant's staff read — field violations by their wording, business
//! refusals by their ErrorInfo reason. A reason without a translation is shown as it is (a test
//! feeds every validator's messages through here so none is missed).

/// The German text of a field violation's `reason`.
pub fn field_reason(reason: &str) -> String {
    let r = reason.trim();
    if let Some(n) = r.strip_prefix("must be at most ").and_then(|t| t.strip_suffix(" characters")) {
        return format!("Höchstens {n} Zeichen.");
    }
    if let Some((a, b)) = r.strip_prefix("must be between ").and_then(|rest| rest.split_once(" and ")) {
        return format!("Bitte einen Wert von {a} bis {b} eingeben.");
    }
    if let Some(n) = r.strip_prefix("must be at least ").and_then(|t| t.strip_suffix(" characters")) {
        return format!("Mindestens {n} Zeichen.");
    }
    let known: &[(&str, &str)] = &[
        ("must not be empty", "Pflichtfeld."),
        ("must not contain control characters", "Keine Steuerzeichen erlaubt."),
        ("must be a UUID", "Ungültige Auswahl."),
        (
            "may only contain letters and digits (the tag name without special characters)",
            "Nur Buchstaben und Ziffern (den Namen des XML-Tags ohne Sonderzeichen).",
        ),
        ("must look like s-pub-… or p-pub-…", "Muss wie s-pub-… (Sandbox) oder p-pub-… (Produktion) aussehen."),
        ("is required for a new configuration", "Pflichtfeld bei einer neuen Konfiguration."),
        ("must look like s-priv-… or p-priv-…", "Muss wie s-priv-… (Sandbox) oder p-priv-… (Produktion) aussehen."),
        (
            "must belong to the same environment (s- or p-) as the public key",
            "Muss zur selben Umgebung (s- oder p-) gehören wie der Public Key.",
        ),
        ("must be MODE_STANDARD or MODE_EXPERT", "Bitte Standard oder Experte wählen."),
        (
            "must be an http(s) URL, e.g. https://soap.pixi.eu/soap/ApiUser/",
            "Bitte eine http(s)-Adresse eingeben, z. B. https://soap.pixi.eu/soap/ApiUser/.",
        ),
        ("must not contain ':'", "Darf keinen Doppelpunkt enthalten."),
        ("must be an IANA time zone, e.g. Europe/Berlin", "Bitte eine Zeitzone wie Europe/Berlin eingeben."),
        (
            "must be one e-mail address, e.g. alerts@example.com",
            "Bitte genau eine E-Mail-Adresse eingeben, z. B. fehler@example.com.",
        ),
        ("must be a host name or IP address", "Bitte einen Hostnamen oder eine IP-Adresse eingeben."),
        (
            "must be SMTP_TLS_MODE_NONE, SMTP_TLS_MODE_STARTTLS or SMTP_TLS_MODE_IMPLICIT",
            "Bitte eine Verschlüsselung wählen.",
        ),
        (
            "must be exactly one address (use forwarding for several recipients)",
            "Genau eine Adresse: für mehrere Empfänger bitte eine Weiterleitung einrichten.",
        ),
        ("must be 1 to 100 characters without control characters", "1 bis 100 Zeichen, ohne Steuerzeichen."),
        (
            "must be 3 to 64 characters of a-z, 0-9, '.', '_', '-' or '@'",
            "3 bis 64 Zeichen aus a–z, 0–9, '.', '_', '-' oder '@'.",
        ),
        ("must be after updated_from", "Muss nach dem Von-Datum liegen."),
        ("is not a valid timestamp", "Ungültiges Datum."),
        ("is not a token from a previous page", "Ungültige Seite: bitte neu suchen."),
        ("contains an unknown state", "Unbekannter Status."),
        ("is not a known filter", "Unbekannter Filter."),
        ("must be a whole number", "Bitte eine ganze Zahl eingeben."),
        ("must be a date (YYYY-MM-DD)", "Bitte ein Datum wählen."),
        ("must be a pixi order number", "Bitte eine pixi-Bestellnummer (nur Ziffern) eingeben."),
        ("must be viewer, operator or admin", "Bitte eine Rolle wählen."),
    ];
    known.iter().find(|(en, _)| *en == r).map_or_else(|| r.to_owned(), |(_, de)| (*de).to_owned())
}

/// The German message of a business refusal by its ErrorInfo reason; `fallback` (the server's
/// own text) when the reason is new.
pub fn refusal(reason: &str, fallback: &str) -> String {
    let text = match reason {
        "PIXI_API_CONFIG_LIMIT" => "Pro Organisation sind höchstens zwei pixi API Konfigurationen erlaubt.",
        "PIXI_CREDENTIALS_REFUSED" => {
            "Die pixi SOAP API hat die Zugangsdaten abgelehnt. Bitte Benutzer und Passwort prüfen (beim pixi Support erfragen); nichts gespeichert."
        }
        "PIXI_ANSWER_INCOMPLETE" => {
            "pixi hat auf den Testaufruf unvollständig geantwortet; nichts gespeichert. Bitte „Verbindung testen“ ausführen."
        }
        "QUIET_WINDOW" => {
            "Zwischen 00:00 und 04:00 Uhr (Zeit der pixi-Installation) gehen keine Anfragen an pixi, damit pixi die Datenbank sichern kann. Bitte später erneut versuchen."
        }
        "SMTP_NOT_CONFIGURED" => "Es ist noch keine E-Mail Konfiguration gespeichert.",
        "SMTP_SEND_FAILED" => return format!("Die Test-E-Mail wurde nicht angenommen: {}", tail(fallback)),
        "UNZER_KEY_REFUSED" => "unzer hat den Private Key abgelehnt. Bitte den Schlüssel aus unzer Insights prüfen.",
        "PRIVATE_KEY_REQUIRED" => "Für eine neue Konfiguration ist der unzer Private Key nötig.",
        "TENANT_NOT_ALLOWED" => "Keine Berechtigung für diese Organisation.",
        "PERMISSION_MISSING" => "Keine Berechtigung für diese Aktion.",
        "LAST_ADMIN" => "Der letzte aktive Benutzer mit der Rolle „Verwalten“ kann nicht entfernt werden.",
        _ => return fallback.to_owned(),
    };
    text.to_owned()
}

/// The part of a server message after its first colon (the partner's own words).
fn tail(message: &str) -> &str {
    message.split_once(": ").map_or(message, |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::settings::{
        PaymentInput, PixiApiInput, SmtpInput, validate_payment, validate_pixi_api, validate_smtp,
    };

    /// Every message the configuration validators can produce has a German text.
    #[test]
    fn every_validator_message_is_translated() {
        let long = "x".repeat(300);
        let payment = PaymentInput {
            mandant: String::new(),
            payment_method: long.clone(),
            invoice_event: "\u{7}".into(),
            return_event: "ABCD".into(),
            xml_tag: "<A>".into(),
            tolerance_minor: -1,
            public_key: "x".into(),
            private_key: "y".into(),
            mode: None,
        };
        let mut reasons: Vec<String> = Vec::new();
        for input in [
            payment.clone(),
            PaymentInput { xml_tag: String::new(), private_key: String::new(), ..payment.clone() },
            PaymentInput {
                xml_tag: long.clone(),
                public_key: "s-pub-abcdefgh".into(),
                private_key: "p-priv-abcdefgh".into(),
                ..payment
            },
        ] {
            if let Err(v) = validate_payment(&input, true) {
                reasons.extend(v.items().iter().map(|(_, r)| r.clone()));
            }
        }
        let pixi = PixiApiInput {
            name: String::new(),
            endpoint: "ftp://x".into(),
            user: "a:b".into(),
            password: String::new(),
            timezone: "Mars/Base".into(),
        };
        reasons.extend(validate_pixi_api(&pixi, true).unwrap_err().items().iter().map(|(_, r)| r.clone()));
        let smtp = SmtpInput {
            host: String::new(),
            port: 0,
            tls: None,
            user: long,
            sender: "x".into(),
            recipient: "a@b.ch, c@d.ch".into(),
        };
        reasons.extend(validate_smtp(&smtp).unwrap_err().items().iter().map(|(_, r)| r.clone()));
        let smtp = SmtpInput {
            host: "h".into(),
            port: 25,
            tls: None,
            user: String::new(),
            sender: "a@b.ch".into(),
            recipient: "nope".into(),
        };
        reasons.extend(validate_smtp(&smtp).unwrap_err().items().iter().map(|(_, r)| r.clone()));
        assert!(reasons.len() > 15, "{reasons:?}");
        for r in reasons {
            assert_ne!(field_reason(&r), r, "no German text for {r:?}");
        }
    }
}
