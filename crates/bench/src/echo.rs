//! The gRPC ceiling: a unary echo server pinned to one core (a current-thread runtime on its
//! own OS thread), once as plain tonic with health (`B_echo`) and once behind the kit's layer
//! (`kit_echo`: spans, metrics, limits), driven by 100 concurrent streams.

use std::net::SocketAddr;
use std::time::Duration;

use proto::payops::echo::v1::echo_service_client::EchoServiceClient;
use proto::payops::echo::v1::echo_service_server::{EchoService, EchoServiceServer};
use proto::payops::echo::v1::{
    EchoRequest, EchoResponse, GetNoteCountRequest, GetNoteCountResponse, RecordNoteRequest, RecordNoteResponse,
};
use serde_json::{Value, json};
use tonic::{Request, Response, Status};

use crate::load::closed_loop;

/// The echo service's permissions behind the kit's layer (no authenticator: the layer's
/// local-only principal, so the figure is the layer without a token comparison).
const ECHO_PERMISSIONS: kit::grpc::PermissionTable = &[
    ("payops.echo.v1.EchoService/Echo", kit::grpc::Access::Needs("echo.echo")),
    ("payops.echo.v1.EchoService/RecordNote", kit::grpc::Access::Needs("echo.notes.write")),
    ("payops.echo.v1.EchoService/GetNoteCount", kit::grpc::Access::Needs("echo.notes.read")),
];

struct Echo;

#[tonic::async_trait]
impl EchoService for Echo {
    async fn echo(&self, r: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        Ok(Response::new(EchoResponse { message: r.into_inner().message }))
    }
    async fn record_note(&self, _: Request<RecordNoteRequest>) -> Result<Response<RecordNoteResponse>, Status> {
        Err(Status::unimplemented("bench"))
    }
    async fn get_note_count(&self, _: Request<GetNoteCountRequest>) -> Result<Response<GetNoteCountResponse>, Status> {
        Err(Status::unimplemented("bench"))
    }
}

/// Starts the server on its own single-threaded runtime; returns its address.
fn serve_on_one_core(kit_layer: bool) -> anyhow::Result<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else { return };
            let Ok(addr) = listener.local_addr() else { return };
            let _ = tx.send(addr);
            let incoming = tokio_stream_listener(listener);
            let (_reporter, health) = tonic_health_server();
            let routes = tonic::service::Routes::new(health).add_service(EchoServiceServer::new(Echo));
            let result = if kit_layer {
                tonic::transport::Server::builder()
                    .layer(kit::grpc::KitLayer::new(4 * 1024 * 1024, None, ECHO_PERMISSIONS))
                    .add_routes(routes)
                    .serve_with_incoming(incoming)
                    .await
            } else {
                tonic::transport::Server::builder().add_routes(routes).serve_with_incoming(incoming).await
            };
            if let Err(e) = result {
                eprintln!("echo server: {e}");
            }
        });
    });
    Ok(rx.recv_timeout(Duration::from_secs(5))?)
}

fn tokio_stream_listener(
    l: tokio::net::TcpListener,
) -> impl futures::Stream<Item = Result<tokio::net::TcpStream, std::io::Error>> {
    futures::stream::unfold(l, |l| async move {
        let r = l.accept().await.map(|(s, _)| {
            let _ = s.set_nodelay(true);
            s
        });
        Some((r, l))
    })
}

fn tonic_health_server() -> (kit_health::HealthReporter, kit_health::HealthServer<impl kit_health::Health>) {
    kit_health::health_reporter()
}

mod kit_health {
    pub use tonic_health::pb::health_server::{Health, HealthServer};
    pub use tonic_health::server::{HealthReporter, health_reporter};
}

/// Runs both variants for `duration` each.
pub async fn run(duration: Duration) -> anyhow::Result<Value> {
    kit::metrics::install();
    let mut out = serde_json::Map::new();
    for (name, kit_layer) in [("B_echo", false), ("kit_echo", true)] {
        let addr = serve_on_one_core(kit_layer)?;
        let mut channels = Vec::new();
        for _ in 0..4 {
            channels.push(tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?.connect().await?);
        }
        let clients: Vec<_> = channels.into_iter().map(EchoServiceClient::new).collect();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let result = closed_loop(100, duration, move || {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut c = clients[i % clients.len()].clone();
            async move { c.echo(EchoRequest { message: "ping".into() }).await.is_ok() }
        })
        .await?;
        out.insert(name.into(), serde_json::to_value(result)?);
    }
    Ok(json!({ "name": "echo", "results": out, "concurrency": 100 }))
}
