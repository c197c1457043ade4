//! The external-operation journal: a call whose answer was lost is resolved by the probe and
//! never executed twice; operations on one scope are serialised.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use kit::fault::FaultPoints;
use kit::journal::{AFTER_CALL, CallError, Entry, Journal, JournalError, Operation, Outcome, Probe, Prober, Resolver};
use testkit::TestEnv;

/// An in-memory partner: charges keyed by reference, with switches to lose answers.
#[derive(Default)]
struct Partner {
    charges: Mutex<HashMap<String, i64>>,
    executions: AtomicU32,
    lose_next_answer: AtomicBool,
    refuse: AtomicBool,
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
}

struct Charge {
    partner: Arc<Partner>,
    order: String,
    reference: String,
    amount: i64,
}

impl Operation for Charge {
    type Output = String;

    fn name(&self) -> &'static str {
        "test.charge"
    }
    fn key(&self) -> String {
        format!("charge:{}:{}", self.order, self.reference)
    }
    fn scope(&self) -> String {
        self.order.clone()
    }
    fn request(&self) -> serde_json::Value {
        serde_json::json!({ "reference": self.reference, "amount": self.amount })
    }
    async fn execute(&self) -> Result<String, CallError> {
        let p = &self.partner;
        let now = p.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        p.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        p.in_flight.fetch_sub(1, Ordering::SeqCst);
        if p.refuse.load(Ordering::SeqCst) {
            return Err(CallError::Rejected("over-capture".into()));
        }
        p.executions.fetch_add(1, Ordering::SeqCst);
        p.charges.lock().unwrap().insert(self.reference.clone(), self.amount);
        if p.lose_next_answer.swap(false, Ordering::SeqCst) {
            return Err(CallError::Unknown("timeout after 10s".into()));
        }
        Ok(format!("chg-{}", self.reference))
    }
    async fn probe(&self) -> Result<Probe<String>, CallError> {
        Ok(probe_partner(&self.partner, &self.reference))
    }
}

fn probe_partner(p: &Partner, reference: &str) -> Probe<String> {
    match p.charges.lock().unwrap().get(reference) {
        Some(_) => Probe::Done(format!("chg-{reference}")),
        None => Probe::NotDone,
    }
}

struct ChargeProber(Arc<Partner>);

impl Prober for ChargeProber {
    fn probe<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<Probe<serde_json::Value>, CallError>> {
        Box::pin(async move {
            let reference = entry.request["reference"].as_str().unwrap_or_default();
            Ok(match probe_partner(&self.0, reference) {
                Probe::Done(v) => Probe::Done(serde_json::Value::String(v)),
                Probe::NotDone => Probe::NotDone,
                Probe::Failed(r) => Probe::Failed(r),
            })
        })
    }
}

fn charge(partner: &Arc<Partner>, order: &str, reference: &str) -> Charge {
    Charge { partner: partner.clone(), order: order.into(), reference: reference.into(), amount: 1250 }
}

#[tokio::test]
async fn journal_lost_answer_is_resolved_by_the_probe_and_never_executed_twice() {
    let env = TestEnv::new().await.unwrap();
    let journal = Journal::new(env.pool("kit_test").await.unwrap());
    let partner = Arc::new(Partner::default());
    partner.lose_next_answer.store(true, Ordering::SeqCst);

    let op = charge(&partner, "4711", "INV-1");
    let first = journal.perform(&op).await.unwrap();
    assert!(matches!(first, Outcome::Unknown(_)), "{first:?}");
    assert_eq!(journal.get(&op.key()).await.unwrap().unwrap().status, "unknown");

    // The retry asks the partner first and finds the charge.
    let second = journal.perform(&op).await.unwrap();
    assert_eq!(second, Outcome::Succeeded { output: "chg-INV-1".into(), replayed: true });
    assert_eq!(partner.executions.load(Ordering::SeqCst), 1);
    let third = journal.perform(&op).await.unwrap();
    assert!(matches!(third, Outcome::Succeeded { replayed: true, .. }));
    assert_eq!(partner.executions.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn journal_process_dying_after_the_partner_acted_is_reconciled_on_restart() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let faults = FaultPoints::new();
    faults.arm(AFTER_CALL);
    let partner = Arc::new(Partner::default());
    let op = charge(&partner, "4711", "INV-2");
    let crashed = Journal::new(pool.clone()).with_faults(faults).perform(&op).await;
    assert!(matches!(crashed, Err(JournalError::Crashed(_))));
    assert_eq!(Journal::new(pool.clone()).get(&op.key()).await.unwrap().unwrap().status, "pending");

    // The restarted process's resolver finds the pending intent and asks the partner.
    let journal = Journal::new(pool.clone());
    let resolver = Resolver::new(journal.clone(), "kit-test")
        .register("test.charge", Arc::new(ChargeProber(partner.clone())))
        .stale_after(Duration::ZERO);
    let report = resolver.resolve_once().await.unwrap();
    assert_eq!(report.succeeded, 1, "{report:?}");
    let outcome = journal.perform(&op).await.unwrap();
    assert!(matches!(outcome, Outcome::Succeeded { replayed: true, .. }));
    assert_eq!(partner.executions.load(Ordering::SeqCst), 1);
    assert_eq!(journal.unresolved_count().await.unwrap(), 0);
}

#[tokio::test]
async fn journal_call_that_never_reached_the_partner_runs_again_after_the_probe() {
    let env = TestEnv::new().await.unwrap();
    let journal = Journal::new(env.pool("kit_test").await.unwrap());
    let partner = Arc::new(Partner::default());
    let op = charge(&partner, "4711", "INV-3");
    // Simulate a crash before the call went out: the intent is pending, the partner knows nothing.
    let faults = FaultPoints::new();
    faults.arm(AFTER_CALL);
    partner.refuse.store(true, Ordering::SeqCst);
    let _ = journal.clone().with_faults(faults).perform(&op).await;
    partner.refuse.store(false, Ordering::SeqCst);
    let outcome = journal.perform(&op).await.unwrap();
    assert_eq!(outcome, Outcome::Succeeded { output: "chg-INV-3".into(), replayed: false });
    assert_eq!(partner.executions.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn journal_records_a_refusal_and_does_not_call_again() {
    let env = TestEnv::new().await.unwrap();
    let journal = Journal::new(env.pool("kit_test").await.unwrap());
    let partner = Arc::new(Partner::default());
    partner.refuse.store(true, Ordering::SeqCst);
    let op = charge(&partner, "4711", "INV-4");
    assert_eq!(journal.perform(&op).await.unwrap(), Outcome::Failed("over-capture".into()));
    partner.refuse.store(false, Ordering::SeqCst);
    assert_eq!(journal.perform(&op).await.unwrap(), Outcome::Failed("over-capture".into()));
    assert_eq!(partner.executions.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn journal_serialises_two_concurrent_operations_on_one_order() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let partner = Arc::new(Partner::default());
    // Two workers (two journals, as two replicas would have) act on one order at once.
    let a = Journal::new(pool.clone());
    let b = Journal::new(pool.clone());
    let ops: Vec<Charge> = (0..6).map(|i| charge(&partner, "4711", &format!("INV-{i}"))).collect();
    let runs = ops.iter().enumerate().map(|(i, op)| {
        let j = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { j.perform(op).await.unwrap() }
    });
    let outcomes = futures::future::join_all(runs).await;
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Succeeded { replayed: false, .. })));
    assert_eq!(partner.max_in_flight.load(Ordering::SeqCst), 1, "never two calls on one order at once");
    assert_eq!(partner.executions.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn journal_same_key_performed_concurrently_executes_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let partner = Arc::new(Partner::default());
    let op = charge(&partner, "4711", "INV-9");
    let runs = (0..4).map(|_| {
        let j = Journal::new(pool.clone());
        let op = &op;
        async move { j.perform(op).await.unwrap() }
    });
    let outcomes = futures::future::join_all(runs).await;
    assert_eq!(outcomes.iter().filter(|o| matches!(o, Outcome::Succeeded { replayed: false, .. })).count(), 1);
    assert_eq!(partner.executions.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn journal_lock_of_a_dropped_holder_is_freed() {
    let env = TestEnv::new().await.unwrap();
    let journal = Journal::new(env.pool("kit_test").await.unwrap());
    let held = journal.lock("4711").await.unwrap();
    assert!(journal.try_lock("4711").await.unwrap().is_none());
    assert!(journal.try_lock("4712").await.unwrap().is_some(), "other orders are not blocked");
    drop(held); // a task cancelled or panicking while holding the lock
    let mut again = None;
    for _ in 0..50 {
        again = journal.try_lock("4711").await.unwrap();
        if again.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "the closed session released the lock");
}

#[tokio::test]
async fn journal_lock_holders_keep_no_pooled_connection_and_still_exclude_each_other() {
    let env = TestEnv::new().await.unwrap();
    let base = env.pool("kit_test").await.unwrap();
    // A pool of one connection: held locks must leave it free for the holders' own work.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with((*base.connect_options()).clone())
        .await
        .unwrap();
    let journal = Journal::new(pool.clone());
    let scopes: Vec<String> = (0..5).map(|i| format!("order-{i}")).collect();
    let held: Vec<_> = futures::future::join_all(scopes.iter().map(|s| journal.lock(s))).await;
    let held: Vec<_> = held.into_iter().map(Result::unwrap).collect();
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await.expect("the pool is not taken by the locks");
    assert_eq!(one, 1);
    // The same process cannot take a held scope twice; another journal (a replica) neither.
    assert!(journal.try_lock("order-0").await.unwrap().is_none());
    let replica = Journal::new(base.clone());
    assert!(replica.try_lock("order-0").await.unwrap().is_none());
    assert!(replica.try_lock("order-9").await.unwrap().is_some());
    // A waiter gets the scope as soon as the holder lets go.
    let waiter = {
        let j = journal.clone();
        tokio::spawn(async move {
            let l = j.lock("order-1").await.unwrap();
            let scope = l.scope().to_owned();
            l.release().await;
            scope
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished(), "order-1 is still held");
    for l in held {
        l.release().await;
    }
    let got = tokio::time::timeout(Duration::from_secs(2), waiter).await.unwrap().unwrap();
    assert_eq!(got, "order-1");
    let mut again = None;
    for _ in 0..50 {
        again = replica.try_lock("order-0").await.unwrap();
        if again.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "released locks are free for the other process");
}
