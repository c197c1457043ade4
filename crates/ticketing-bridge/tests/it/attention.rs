//! Tickets from attention events (TK-02, TK-04, TK-07): one ticket per open incident of an
//! order, further events become notes, and every effect is an event of the order.

use kit::grpc::status::error_reason;
use proto::payops::events::v1::Attention;
use proto::payops::ticketing::v1::{ListOrderTicketsRequest, ReplayDeadLetterRequest, TicketNoteAdded};
use tonic::Code;

use crate::helpers::TestApp;

#[tokio::test]
async fn tk_02_an_attention_event_opens_a_ticket() {
    let app = TestApp::spawn().await;
    app.attention("4711", "capture-failed-INV-1", "Capture refused by unzer", "unzer answered COR.001\nretry by hand")
        .await;
    assert_eq!(app.drain().await, 1);

    let fd = app.tickets_with("inc:4711:capture-failed-INV-1").await;
    assert_eq!(fd.len(), 1);
    let t = &fd[0];
    assert_eq!(t.subject, "Capture refused by unzer · order 4711");
    assert_eq!((t.priority, t.ticket_type.as_deref(), t.group_id), (3, Some("Incident"), Some(43_000_000_002)));
    assert_eq!(t.tags, ["payops", "attention", "pixi-sync"]);
    assert_eq!(t.requester_email.as_deref(), Some("hotline@smarpay.eu"));
    assert!(t.description.starts_with("<p>unzer answered COR.001<br>retry by hand</p>"), "{}", t.description);
    assert!(t.description.contains("<a href=\"https://grafana.example/d/pixi?order=4711\">"));

    let listed =
        app.client().await.list_order_tickets(ListOrderTicketsRequest { order_id: "4711".into() }).await.unwrap();
    let ticket = &listed.into_inner().tickets[0];
    assert_eq!((ticket.incident_id.as_str(), ticket.ticket_id), ("capture-failed-INV-1", t.id as i64));
    app.stop().await;
}

#[tokio::test]
async fn tk_04_further_events_of_an_incident_add_notes_and_another_incident_gets_its_own_ticket() {
    let app = TestApp::spawn().await;
    app.attention("4711", "cap-1", "Capture refused", "first").await;
    app.drain().await;
    let second = app.attention("4711", "cap-1", "Capture refused", "second <b>time</b>").await;
    app.attention("4711", "cap-1", "Capture refused", "third").await;
    app.attention("4711", "refund-2", "Refund stuck", "other incident").await;
    assert_eq!(app.drain().await, 3);

    let fd = app.tickets().await;
    assert_eq!(fd.len(), 2, "one ticket per incident");
    let cap = app.tickets_with("inc:4711:cap-1").await.remove(0);
    assert_eq!(cap.notes.len(), 2);
    assert!(cap.notes.iter().all(|n| n.private), "notes are private");
    assert!(cap.notes[0].body.contains("second &lt;b&gt;time&lt;/b&gt;"));
    assert!(cap.notes[0].body.contains(&format!("payops-ref: note:{second}")));
    assert_eq!(app.tickets_with("inc:4711:refund-2").await[0].notes.len(), 0);

    let listed =
        app.client().await.list_order_tickets(ListOrderTicketsRequest { order_id: "4711".into() }).await.unwrap();
    let counts: Vec<(String, i32)> =
        listed.into_inner().tickets.into_iter().map(|t| (t.incident_id, t.note_count)).collect();
    assert_eq!(counts, [("cap-1".to_owned(), 2), ("refund-2".to_owned(), 0)]);

    let notes = app.events("ticket_note_added").await;
    assert_eq!(notes.len(), 2);
    let msg: TicketNoteAdded = kit::bus::event::unpack(&notes[0].1).unwrap();
    assert_eq!(
        (msg.ticket_id, msg.incident_id.as_str(), msg.attention_event_id.as_str()),
        (cap.id as i64, "cap-1", second.as_str())
    );
    assert!(notes[0].0.ends_with(".ticketing-bridge.4711.ticket_note_added"));
    assert_eq!(app.events("ticket_created").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn tk_04_two_events_of_a_new_incident_on_two_replicas_make_one_ticket() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    for i in 0..3 {
        a.attention("4711", "cap-1", "Capture refused", &format!("event {i}")).await;
        a.attention(&format!("o{i}"), "cap-1", "Capture refused", "x").await;
    }
    // Both replicas share the durable consumer; both workers race for the same orders.
    let (x, y) = tokio::join!(a.consumer.drain(), b.consumer.drain());
    assert_eq!(x.unwrap() + y.unwrap(), 6);
    let (x, y) = tokio::join!(a.dispatcher.tick(), b.dispatcher.tick());
    let (x, y) = (x.unwrap(), y.unwrap());
    let rest = a.dispatcher.tick().await.unwrap() + b.dispatcher.tick().await.unwrap();
    assert_eq!(x + y + rest, 6);
    let by_ref = a.admin.freshdesk_tickets().await.unwrap();
    assert!(by_ref.duplicates.is_empty(), "{:?}", by_ref.duplicates);
    assert_eq!(by_ref.count, 4);
    assert_eq!(a.tickets_with("inc:4711:cap-1").await[0].notes.len(), 2);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn tk_04_an_incident_whose_ticket_was_resolved_gets_a_new_ticket() {
    let app = TestApp::spawn().await;
    app.attention("4711", "cap-1", "Capture refused", "first").await;
    app.drain().await;
    let first = app.tickets_with("inc:4711:cap-1").await.remove(0);
    app.admin.freshdesk_set_status(first.id, 4).await.unwrap();

    app.attention("4711", "cap-1", "Capture refused", "again").await;
    app.attention("4711", "cap-1", "Capture refused", "and again").await;
    app.drain().await;
    let second = app.tickets_with("inc:4711:cap-1:g2").await;
    assert_eq!(second.len(), 1);
    assert!(second[0].description.contains(&format!("after ticket #{} was resolved or closed", first.id)));
    assert_eq!(second[0].notes.len(), 1, "the event after the new ticket is a note on it");
    assert_eq!(app.tickets_with("inc:4711:cap-1").await[0].notes.len(), 0, "nothing was added to the resolved one");
    let listed =
        app.client().await.list_order_tickets(ListOrderTicketsRequest { order_id: "4711".into() }).await.unwrap();
    let statuses: Vec<i32> = listed.into_inner().tickets.iter().map(|t| t.status).collect();
    assert_eq!(statuses, [4, 2], "the bridge saw the first one resolved");
    app.stop().await;
}

#[tokio::test]
async fn tk_03_an_event_delivered_again_has_no_second_effect() {
    let app = TestApp::spawn().await;
    let msg =
        Attention { incident_id: "cap-1".into(), title: "t".into(), description: "d".into(), ..Default::default() };
    let event = kit::bus::NewEvent::new(kit::OrderId::parse("4711").unwrap(), "attention", &msg, "s")
        .unwrap()
        .into_envelope("evt-dup", "pixi-sync", kit::clock::Clock::now(&app.clock));
    // Republished under other message ids: JetStream's de-duplication does not catch these.
    app.publish_envelope(&event, "m-1").await;
    app.publish_envelope(&event, "m-2").await;
    app.drain().await;
    app.publish_envelope(&event, "m-3").await;
    app.drain().await;
    let fd = app.tickets().await;
    assert_eq!(fd.len(), 1);
    assert!(fd[0].notes.is_empty(), "a redelivery is not a further event");
    app.stop().await;
}

#[tokio::test]
async fn tk_02_an_attention_event_that_can_never_become_a_ticket_is_dead_lettered_at_once() {
    let app = TestApp::spawn().await;
    let bad = Attention { incident_id: "not an id!".into(), title: "t".into(), ..Default::default() };
    app.publish("4711", &bad).await;
    app.drain().await;
    assert!(app.tickets().await.is_empty());
    let dead = app
        .client()
        .await
        .list_dead_letters(proto::payops::ticketing::v1::ListDeadLettersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .dead_letters;
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].reason.as_str(), dead[0].order_id.as_str()), ("malformed", "4711"));
    assert!(dead[0].error.contains("incident_id"), "{}", dead[0].error);
    let err = app.client().await.replay_dead_letter(ReplayDeadLetterRequest { id: dead[0].id }).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&err).as_deref(), Some("DEAD_LETTER_NOT_REPLAYABLE"));
    assert_eq!(app.events("ticket_work_dead_lettered").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn tk_02_a_consumer_that_sees_other_events_ignores_them() {
    let mut app = TestApp::spawn().await;
    // A durable consumer left from an old server that ignored the subject filter: it gets
    // every event of the stream, the bridge's own included. It takes the place of the one the
    // app bound, and the bridge restarts onto it.
    let stream = app.bus.jetstream().get_stream(&app.bus.config().stream).await.unwrap();
    let stale = async_nats::jetstream::consumer::pull::Config {
        durable_name: Some(ticketing_bridge::bus::CONSUMER.into()),
        ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
        ..Default::default()
    };
    stream.delete_consumer(ticketing_bridge::bus::CONSUMER).await.unwrap();
    stream.create_consumer(stale).await.unwrap();
    app.restart().await;
    app.attention("4711", "cap-1", "Capture refused", "x").await;
    app.drain().await;
    app.attention("4711", "cap-1", "Capture refused", "again").await;
    app.drain().await;
    app.drain().await;
    assert_eq!(app.tickets().await.len(), 1);
    assert_eq!(app.tickets_with("inc:4711:cap-1").await[0].notes.len(), 1);
    let dead = app
        .client()
        .await
        .list_dead_letters(proto::payops::ticketing::v1::ListDeadLettersRequest::default())
        .await
        .unwrap();
    assert!(
        dead.into_inner().dead_letters.is_empty(),
        "ticket_created / ticket_note_added were not taken for attention"
    );
    app.stop().await;
}
