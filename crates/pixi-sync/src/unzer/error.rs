//! What an unzer call can end in besides success (CT-04), and how an error answer is
//! classified. unzer publishes its codes (`unzerdev/php-sdk` `src/Constants/ApiResponseCodes.php`)
//! but not which HTTP status goes with each, and it may send an error with HTTP 200
//! (docs.unzer.com, error handling): the `errors[0].code` decides, the status only where the
//! code says nothing.
//!
//! Only codes that name a refusal of the request are definitive; a code pixi-sync does not
//! know, `API.000.000.999` (general error) and 5xx answers are an unknown outcome for a write
//! (the journal asks unzer before anything is sent again) and transient for a read; 429 and
//! connection failures are transient (nothing was done). An unknown error is never taken as a
//! definitive refusal of a money movement.

use kit::contract::ContractError;

/// unzer call failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnzerError {
    /// unzer refused the request; nothing happened.
    #[error("unzer refused ({code}): {message}")]
    Refused {
        /// unzer error code, e.g. `API.330.100.007`.
        code: String,
        /// Merchant message (no personal data: unzer's own words).
        message: String,
    },
    /// What was asked for is already the case (already cancelled, already charged back, the
    /// webhook exists); this call changed nothing.
    #[error("unzer: already done ({code})")]
    AlreadyDone {
        /// unzer error code.
        code: String,
    },
    /// The key was refused (a configuration problem).
    #[error("unzer refused the key ({0})")]
    Unauthorized(String),
    /// No such payment.
    #[error("unzer payment not found")]
    NotFound,
    /// Nothing was done and it may work later (429, no connection, a read that failed).
    #[error("unzer unavailable: {0}")]
    Transient(String),
    /// A write may or may not have happened (5xx, timeout, an unknown error code): find out
    /// by reading the payment before anything is sent again.
    #[error("unzer outcome unknown: {0}")]
    Unknown(String),
    /// The answer breaks its contract (a needed field missing or of another type).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

impl UnzerError {
    /// The class name of CT-04 (`refused`, `already_done`, `unauthorized`, `not_found`,
    /// `transient`, `unknown`, `contract`).
    pub fn class(&self) -> &'static str {
        match self {
            UnzerError::Refused { .. } => "refused",
            UnzerError::AlreadyDone { .. } => "already_done",
            UnzerError::Unauthorized(_) => "unauthorized",
            UnzerError::NotFound => "not_found",
            UnzerError::Transient(_) => "transient",
            UnzerError::Unknown(_) => "unknown",
            UnzerError::Contract(_) => "contract",
        }
    }

    /// The unzer code, where the answer had one.
    pub fn code(&self) -> Option<&str> {
        match self {
            UnzerError::Refused { code, .. } | UnzerError::AlreadyDone { code } | UnzerError::Unauthorized(code) => {
                Some(code)
            }
            _ => None,
        }
    }

    /// The refusal says the authorisation expired (PX-15). No public source shows the code or
    /// text of a charge on an expired authorisation (the case is marked unverified): unzer's
    /// merchant message naming the expiry is what pixi-sync recognises.
    pub fn is_expired(&self) -> bool {
        matches!(self, UnzerError::Refused { message, .. } if message.to_ascii_lowercase().contains("expired"))
    }
}

/// Codes that refuse the request: nothing happened (`ApiResponseCodes.php`).
const REFUSED: [&str; 20] = [
    "API.320.000.004", // authorize not allowed
    "API.320.100.008", // customer id required
    "API.320.200.138", // order id already in use
    "API.320.200.145", // resource does not belong to the merchant
    "API.330.000.004", // charge not allowed
    "API.330.100.007", // charged amount higher than expected
    "API.330.100.008", // factoring requires a customer
    "API.330.100.023", // factoring requires a basket
    "API.330.100.106", // addresses do not match
    "API.330.100.202", // currency not supported
    "API.340.000.004", // cancel not allowed
    "API.340.100.024", // cancel reason code missing
    "API.340.200.130", // amount missing
    "API.360.000.004", // shipment not allowed
    "API.360.100.025", // shipment needs an invoice id
    "API.500.100.060", // cannot charge an unsuccessful SCA transaction
    "API.500.300.999", // request data invalid
    "API.500.550.004", // recurring payment not supported
    "API.710.200.100", // a field is missing (a validation error, not a key problem)
    "COR.700.400.800", // insurance already activated (SEPA secured shipment)
];

/// Codes saying the thing asked for is already the case.
const ALREADY_DONE: [&str; 4] = [
    "API.340.100.014", // already cancelled
    "API.340.100.015", // already charged back
    "API.340.100.018", // already charged
    "API.510.310.009", // webhook event already registered
];

/// Codes refusing the key.
const UNAUTHORIZED: [&str; 4] = [
    "API.710.000.002", // invalid key
    "API.710.000.005", // insufficient permission (public key)
    "API.710.000.007", // wrong authentication method
    "COR.100.300.600", // invalid or missing login
];

/// Classifies an answer with `errors[0]` = (`code`, `message`) and HTTP `status`; `write`
/// says whether the call may have changed something.
pub fn classify(status: u16, code: &str, message: &str, write: bool) -> UnzerError {
    let unsure = |why: String| if write { UnzerError::Unknown(why) } else { UnzerError::Transient(why) };
    if status == 429 {
        return UnzerError::Transient(format!("HTTP 429 {code}"));
    }
    if code == "API.310.100.003" {
        return UnzerError::NotFound;
    }
    if UNAUTHORIZED.contains(&code) {
        return UnzerError::Unauthorized(code.to_owned());
    }
    if ALREADY_DONE.contains(&code) {
        return UnzerError::AlreadyDone { code: code.to_owned() };
    }
    if REFUSED.contains(&code) && status < 500 {
        return UnzerError::Refused { code: code.to_owned(), message: message.to_owned() };
    }
    match status {
        401 | 403 => UnzerError::Unauthorized(code.to_owned()),
        s if s >= 500 => unsure(format!("HTTP {s} {code}")),
        s => unsure(format!("HTTP {s}: unzer code {code} is not one pixi-sync can classify")),
    }
}

/// Classifies an answer without an `errors[]` body (status only).
pub fn classify_status(status: u16, write: bool) -> UnzerError {
    match status {
        401 | 403 => UnzerError::Unauthorized(format!("HTTP {status}")),
        404 => UnzerError::NotFound,
        429 => UnzerError::Transient("HTTP 429".into()),
        s if write => UnzerError::Unknown(format!("HTTP {s} without an unzer answer")),
        s => UnzerError::Transient(format!("HTTP {s} without an unzer answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_04_unzer_error_codes_classify_and_unknown_ones_are_never_refusals() {
        let cases: &[(u16, &str, bool, &str)] = &[
            (400, "API.330.100.007", true, "refused"),
            (200, "API.330.100.007", true, "refused"),
            (400, "API.710.200.100", true, "refused"),
            (400, "API.360.000.004", true, "refused"),
            (400, "COR.700.400.800", true, "refused"),
            (400, "API.340.100.014", true, "already_done"),
            (400, "API.510.310.009", true, "already_done"),
            (401, "API.710.000.002", true, "unauthorized"),
            (403, "API.710.000.005", false, "unauthorized"),
            (200, "COR.100.300.600", false, "unauthorized"),
            (404, "API.310.100.003", false, "not_found"),
            (400, "API.310.100.003", true, "not_found"),
            (400, "API.000.000.999", true, "unknown"),
            (400, "API.000.000.999", false, "transient"),
            (400, "API.999.999.999", true, "unknown"),
            (500, "API.330.100.007", true, "unknown"),
            (502, "", false, "transient"),
            (429, "API.330.100.007", true, "transient"),
            (401, "API.999.000.000", true, "unauthorized"),
        ];
        for (status, code, write, class) in cases {
            assert_eq!(classify(*status, code, "", *write).class(), *class, "{status} {code} write={write}");
        }
        assert_eq!(classify_status(429, true).class(), "transient");
        assert_eq!(classify_status(503, true).class(), "unknown");
        assert_eq!(classify_status(503, false).class(), "transient");
        assert_eq!(classify_status(404, false).class(), "not_found");
    }
}
