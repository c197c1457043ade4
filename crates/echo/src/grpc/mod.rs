//! The `payops.echo.v1.EchoService` adapter: parses requests into domain types, calls the
//! store, maps errors with `status.rs`.

pub mod permissions;
mod status;

use kit::bus::{NewEvent, Outbox};
use proto::payops::echo::v1::echo_service_server::EchoService;
use proto::payops::echo::v1::{
    EchoRequest, EchoResponse, GetNoteCountRequest, GetNoteCountResponse, NoteRecorded, RecordNoteRequest,
    RecordNoteResponse,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::bus::NOTE_RECORDED;
use crate::domain::Note;
use crate::error::Error;
use crate::store;

/// The gRPC service.
pub struct Echo {
    pool: PgPool,
    outbox: Outbox,
}

impl Echo {
    /// A service on `pool` writing events through `outbox`.
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Echo { pool, outbox }
    }

    async fn record(&self, note: Note) -> Result<String, Error> {
        let event = NewEvent::new(
            note.order_id.clone(),
            NOTE_RECORDED,
            &NoteRecorded { text: note.text.clone() },
            "note recorded",
        )?;
        let mut tx = self.pool.begin().await?;
        store::notes::insert(&mut tx, &note).await?;
        let id = self.outbox.add(&mut tx, event).await?;
        tx.commit().await?;
        Ok(id.to_string())
    }
}

#[tonic::async_trait]
impl EchoService for Echo {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        let message = request.into_inner().message;
        if message.len() > 4096 {
            return Err(kit::grpc::status::invalid_field("message", "must be at most 4096 bytes"));
        }
        Ok(Response::new(EchoResponse { message }))
    }

    async fn record_note(&self, request: Request<RecordNoteRequest>) -> Result<Response<RecordNoteResponse>, Status> {
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.order_id);
        let note = Note::parse(&r.order_id, &r.text).map_err(Error::Invalid)?;
        let event_id = self.record(note).await?;
        Ok(Response::new(RecordNoteResponse { event_id }))
    }

    async fn get_note_count(
        &self,
        request: Request<GetNoteCountRequest>,
    ) -> Result<Response<GetNoteCountResponse>, Status> {
        let order_id = kit::id::OrderId::parse(request.into_inner().order_id)
            .map_err(|e| kit::grpc::status::invalid_field("order_id", e.to_string()))?;
        let count = store::notes::count(&self.pool, &order_id).await.map_err(Error::from)?;
        Ok(Response::new(GetNoteCountResponse { count }))
    }
}
