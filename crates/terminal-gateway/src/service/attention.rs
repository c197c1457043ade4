//! What goes with a payment's events besides the bus event: the terminal's troubleshooting
//! counters (TG-24) and the attention events for a person — repeated failures on a terminal
//! (keyed by the terminal: one incident, one ticket), late approvals and their voids, and
//! outcomes Nets never confirmed (keyed by the order, so they show on its timeline).

use chrono::{DateTime, Utc};
use proto::payops::events::v1::AttentionSeverity;

use super::Engine;
use crate::bus;
use crate::domain::payment::{Event, State, VoidState};
use crate::error::Error;
use crate::store::payments::{Kind, PaymentRecord};
use crate::store::terminals;

impl Engine {
    /// Terminal troubleshooting counters and attention events that go with an event.
    pub(super) async fn bookkeeping(
        &self,
        tx: &mut sqlx::PgConnection,
        p: &PaymentRecord,
        event: &Event,
        streak: i32,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let Some(terminal) = p.terminal_id.as_deref() else { return Ok(()) };
        let what = if p.kind == Kind::Refund { "refund" } else { "payment" };
        let attention = |title: String, description: String| {
            bus::attention(
                &p.order_id,
                &format!("late-approval-{}", p.id.simple()),
                AttentionSeverity::High,
                &title,
                &description,
            )
        };
        match event {
            Event::Ended { state: State::Approved, .. } if streak > 0 => {
                terminals::record_success(tx, &p.tenant_id, terminal).await?
            }
            Event::Ended { outcome, .. } if outcome.reason.is_failure() => {
                let text = format!("{}: {}", outcome.reason.as_str(), outcome.detail);
                let n = terminals::record_failure(tx, &p.tenant_id, terminal, &text, now).await?;
                self.maybe_attention(tx, p, terminal, n, &text).await?;
            }
            Event::VoidEnded(v) => {
                let card = p.machine.late_approval.as_ref().map(|c| c.acquirer_reference.clone()).unwrap_or_default();
                let (title, next) = match v {
                    VoidState::Voided => (
                        format!("Terminal {terminal}: a late approval was voided automatically"),
                        "Nothing is left to do for the money; tell the customer their card was charged and reversed.",
                    ),
                    _ => (
                        format!("Terminal {terminal}: a late approval could not be voided"),
                        "The customer may have paid twice: reverse it on the terminal or refund it, or keep it and \
                         cancel the repeat payment.",
                    ),
                };
                let description = format!(
                    "{what} {} of {} was closed as timed out, then the terminal reported it approved (acquirer \
                     reference {card}); the gateway's void: {}. {next}",
                    p.id,
                    p.amount,
                    v.as_str()
                );
                self.0.outbox.add(tx, attention(title, description)?).await?;
            }
            Event::Released(why) if why.needs_attention() => {
                let description = format!(
                    "{what} {} of {} on terminal {terminal} timed out and Nets never said how it ended ({why:?}). It may \
                     have been charged: check the terminal's journal before the customer pays again.",
                    p.id, p.amount
                );
                let title = format!("Terminal {terminal}: outcome of a timed-out {what} unconfirmed");
                self.0.outbox.add(tx, attention(title, description)?).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Raises attention when a terminal's failure streak reaches the threshold (and again at
    /// every further multiple, adding notes to the same incident). The incident is keyed by
    /// the terminal, not by the order that crossed the threshold: one ticket per terminal.
    pub(crate) async fn maybe_attention(
        &self,
        tx: &mut sqlx::PgConnection,
        p: &PaymentRecord,
        terminal: &str,
        failures: i32,
        last: &str,
    ) -> Result<(), Error> {
        let every = self.0.config.attention_after;
        if failures < every || failures % every != 0 {
            return Ok(());
        }
        let key = bus::terminal_key(terminal).map_err(|e| Error::TerminalUnknown(e.to_string()))?;
        let ev = bus::attention(
            &key,
            &format!("terminal-{terminal}-failures"),
            AttentionSeverity::Medium,
            &format!("Terminal {terminal}: {failures} payments failed in a row"),
            &format!(
                "The last {failures} payments on terminal {terminal} failed or timed out (the latest for order {}): \
                 {last}. Check that the terminal is connected to Nets Cloud, that no other payment runs on it, and \
                 that its stored id matches Nets.",
                p.order_id
            ),
        )?;
        self.0.outbox.add(tx, ev).await?;
        Ok(())
    }
}
