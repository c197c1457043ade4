//! Building event envelopes. An event is a protobuf message wrapped in
//! `payops.events.v1.Envelope` (id, order id, type, time, source, summary) and packed as
//! `google.protobuf.Any`, so any consumer can route on the type URL.

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use proto::payops::events::v1::Envelope;

use crate::id::OrderId;

/// Event build or decode failures.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The bytes are not an envelope.
    #[error("malformed envelope: {0}")]
    Decode(#[from] prost::DecodeError),
    /// The envelope carries a different payload type.
    #[error("payload is {found}, expected {expected}")]
    WrongType {
        /// Type URL found.
        found: String,
        /// Type URL expected.
        expected: String,
    },
    /// The payload could not be encoded.
    #[error("cannot encode payload: {0}")]
    Encode(#[from] prost::EncodeError),
    /// The envelope has no payload.
    #[error("envelope has no payload")]
    NoPayload,
    /// The event type is not a single subject token in snake case.
    #[error("invalid event type {0:?}: expected snake_case")]
    InvalidType(String),
}

/// An event about to be written to the outbox.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The order it belongs to (also in the subject).
    pub order_id: OrderId,
    /// snake_case type, the last subject token, e.g. `order_released`.
    pub event_type: String,
    /// The packed payload message.
    pub payload: prost_types::Any,
    /// One line for people; no personal data.
    pub summary: String,
}

impl NewEvent {
    /// Packs `message` as the payload of an event of `event_type` for `order_id`.
    pub fn new<M: Message + Name>(
        order_id: OrderId,
        event_type: &str,
        message: &M,
        summary: impl Into<String>,
    ) -> Result<Self, EventError> {
        if event_type.is_empty()
            || !event_type.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(EventError::InvalidType(event_type.to_owned()));
        }
        let payload = prost_types::Any::from_msg(message)?;
        Ok(NewEvent { order_id, event_type: event_type.to_owned(), payload, summary: summary.into() })
    }

    /// The envelope for this event with its id, source and time.
    pub fn into_envelope(self, event_id: &str, source: &str, occurred_at: DateTime<Utc>) -> Envelope {
        Envelope {
            event_id: event_id.to_owned(),
            order_id: self.order_id.to_string(),
            r#type: self.event_type,
            occurred_at: Some(timestamp(occurred_at)),
            source: source.to_owned(),
            payload: Some(self.payload),
            summary: self.summary,
        }
    }
}

/// Decodes the payload of `envelope` as `M`, checking the type URL.
pub fn unpack<M: Message + Name + Default>(envelope: &Envelope) -> Result<M, EventError> {
    let any = envelope.payload.as_ref().ok_or(EventError::NoPayload)?;
    if any.type_url != M::type_url() {
        return Err(EventError::WrongType { found: any.type_url.clone(), expected: M::type_url() });
    }
    Ok(M::decode(any.value.as_slice())?)
}

/// Decodes envelope bytes.
pub fn decode_envelope(bytes: &[u8]) -> Result<Envelope, EventError> {
    Ok(Envelope::decode(bytes)?)
}

/// A protobuf timestamp for `t`.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

/// The UTC time of a protobuf timestamp (`None` when out of range).
pub fn from_timestamp(t: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?)
}

#[cfg(test)]
mod tests {
    use proto::payops::events::v1::{Attention, TicketCreated};

    use super::*;

    #[test]
    fn payload_round_trips_and_type_is_checked() {
        let msg = Attention { incident_id: "inc-1".into(), title: "capture failed".into(), ..Default::default() };
        let ev = NewEvent::new(OrderId::parse("4711").unwrap(), "attention", &msg, "capture failed").unwrap();
        let t = DateTime::from_timestamp(1_700_000_000, 5).unwrap();
        let env = ev.into_envelope("e-1", "pixi-sync", t);
        assert_eq!(env.payload.as_ref().unwrap().type_url, "type.googleapis.com/payops.events.v1.Attention");
        assert_eq!(unpack::<Attention>(&env).unwrap(), msg);
        assert!(matches!(unpack::<TicketCreated>(&env), Err(EventError::WrongType { .. })));
        assert_eq!(from_timestamp(env.occurred_at.as_ref().unwrap()), Some(t));
        let bytes = env.encode_to_vec();
        assert_eq!(decode_envelope(&bytes).unwrap(), env);
        assert!(decode_envelope(b"\xff\xff\xff").is_err());
    }

    #[test]
    fn event_types_are_single_snake_case_tokens() {
        let o = OrderId::parse("1").unwrap();
        for bad in ["", "Order", "a.b", "a-b", "a b", ">"] {
            assert!(NewEvent::new(o.clone(), bad, &Attention::default(), "").is_err(), "{bad}");
        }
    }
}
