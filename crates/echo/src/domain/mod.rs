//! Pure rules: what a valid note is. No I/O.

use kit::grpc::status::Violations;
use kit::id::OrderId;

/// A validated note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The order it belongs to.
    pub order_id: OrderId,
    /// 1 to 1000 characters.
    pub text: String,
}

impl Note {
    /// Validates both fields and reports every violation at once.
    pub fn parse(order_id: &str, text: &str) -> Result<Note, Violations> {
        let mut v = Violations::new();
        let order_id = v.check("order_id", OrderId::parse(order_id));
        let chars = text.chars().count();
        if chars == 0 {
            v.add("text", "must not be empty");
        } else if chars > 1000 {
            v.add("text", format!("must be at most 1000 characters, got {chars}"));
        }
        match order_id {
            Some(order_id) if v.is_empty() => Ok(Note { order_id, text: text.to_owned() }),
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_validation_table() {
        let long = "x".repeat(1001);
        let cases: &[(&str, &str, &[&str])] = &[
            ("4711", "hello", &[]),
            ("47.11", "hello", &["order_id"]),
            ("", "", &["order_id", "text"]),
            ("4711", &long, &["text"]),
        ];
        for (order, text, fields) in cases {
            let got: Vec<String> = match Note::parse(order, text) {
                Ok(_) => vec![],
                Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
            };
            assert_eq!(got, *fields, "{order:?} {text:?}");
        }
    }
}
