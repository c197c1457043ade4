//! A gRPC server built by the kit: health follows database readiness, reflection lists the
//! services, and the layer enforces size limits and authentication. Checked with real clients.

use std::sync::Arc;

use kit::bus::Bus;
use kit::grpc::{Access, Credentials, GrpcServer, PermissionTable, Principal};
use kit::readiness::Readiness;
use proto::payops::echo::v1::echo_service_client::EchoServiceClient;
use proto::payops::echo::v1::echo_service_server::{EchoService, EchoServiceServer};
use proto::payops::echo::v1::{
    EchoRequest, EchoResponse, GetNoteCountRequest, GetNoteCountResponse, RecordNoteRequest, RecordNoteResponse,
};
use secrecy::SecretString;
use testkit::{TcpProxy, TestEnv};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

struct Echo;

#[tonic::async_trait]
impl EchoService for Echo {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        let caller = request.extensions().get::<Principal>().map(|p| p.subject.clone()).unwrap_or_default();
        let message = request.into_inner().message;
        Ok(Response::new(EchoResponse {
            message: if caller.is_empty() || caller == "local-unauthenticated" {
                message
            } else {
                format!("{caller}:{message}")
            },
        }))
    }
    async fn record_note(&self, _: Request<RecordNoteRequest>) -> Result<Response<RecordNoteResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }
    async fn get_note_count(&self, _: Request<GetNoteCountRequest>) -> Result<Response<GetNoteCountResponse>, Status> {
        Err(Status::unimplemented("not in this test"))
    }
}

struct Running {
    url: String,
    readiness: Readiness,
    token: CancellationToken,
}

/// The echo service's permissions in these tests.
const TABLE: PermissionTable = &[
    ("payops.echo.v1.EchoService/Echo", Access::Needs("echo.echo")),
    ("payops.echo.v1.EchoService/RecordNote", Access::Needs("echo.notes.write")),
    ("payops.echo.v1.EchoService/GetNoteCount", Access::Public),
];

async fn start(readiness: Readiness, callers: Option<&str>) -> Running {
    let auth = callers.map(|c| {
        Arc::new(Credentials::parse(&SecretString::from(c.to_owned())).unwrap()) as Arc<dyn kit::grpc::Authenticator>
    });
    let server = GrpcServer::bind("127.0.0.1:0".parse().unwrap(), 64 * 1024)
        .await
        .unwrap()
        .add_service(EchoServiceServer::new(Echo))
        .with_access(auth, TABLE);
    let url = format!("http://{}", server.local_addr());
    let token = CancellationToken::new();
    let r = readiness.clone();
    let t = token.clone();
    tokio::spawn(async move { server.serve(&r, t).await.unwrap() });
    Running { url, readiness, token }
}

async fn channel(url: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(url.to_owned()).unwrap().connect().await.unwrap()
}

async fn health(url: &str, service: &str) -> ServingStatus {
    let mut client = HealthClient::new(channel(url).await);
    let r = client.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
    ServingStatus::try_from(r.status).unwrap()
}

#[tokio::test]
async fn health_is_not_serving_while_the_database_is_unreachable_and_serving_when_it_is_back() {
    let env = TestEnv::new().await.unwrap();
    env.pool("kit_test").await.unwrap();
    let pg: std::net::SocketAddr = {
        let url: sqlx::postgres::PgConnectOptions = env.database_url.parse().unwrap();
        tokio::net::lookup_host((url.get_host(), url.get_port())).await.unwrap().next().unwrap()
    };
    let proxy = TcpProxy::start(pg).await.unwrap();
    let pool = kit::db::connect_lazy(&env.db_config_via("kit_test", proxy.addr()).unwrap()).unwrap();
    let bus = Bus::connect(&env.bus_config()).await.unwrap();
    let s = start(Readiness::new(Some(pool), Some(bus)), None).await;

    assert!(s.readiness.refresh().await);
    assert_eq!(health(&s.url, "").await, ServingStatus::Serving);
    assert_eq!(health(&s.url, "payops.echo.v1.EchoService").await, ServingStatus::Serving);

    proxy.cut();
    assert!(!s.readiness.refresh().await);
    assert_eq!(health(&s.url, "").await, ServingStatus::NotServing);
    assert_eq!(health(&s.url, "payops.echo.v1.EchoService").await, ServingStatus::NotServing);

    proxy.restore();
    assert!(s.readiness.refresh().await);
    assert_eq!(health(&s.url, "").await, ServingStatus::Serving);

    // Shutdown: readiness off first, for good.
    s.readiness.set_draining().await;
    assert!(!s.readiness.refresh().await);
    assert_eq!(health(&s.url, "").await, ServingStatus::NotServing);
    s.token.cancel();
}

#[tokio::test]
async fn op_02_reflection_lists_exactly_the_services_this_server_serves_and_resolves_payops_types() {
    let s = start(Readiness::new(None, None), None).await;
    let mut client = ServerReflectionClient::new(channel(&s.url).await);
    let list = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let symbol = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol("payops.events.v1.Envelope".into())),
    };
    let mut responses =
        client.server_reflection_info(futures::stream::iter([list, symbol])).await.unwrap().into_inner();
    let first = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(services)) = first.message_response else { panic!("{first:?}") };
    let mut names: Vec<String> = services.service.into_iter().map(|s| s.name).collect();
    names.sort();
    // Exactly what this server serves: not the services of the other payops servers.
    assert_eq!(names, SERVED, "services listed over reflection v1");
    let second = responses.message().await.unwrap().unwrap();
    assert!(
        matches!(second.message_response, Some(MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty())
    );
    s.token.cancel();
}

const SERVED: [&str; 4] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "payops.echo.v1.EchoService",
];

#[tokio::test]
async fn op_02_reflection_v1alpha_lists_the_same_services_for_tools_that_speak_only_v1alpha() {
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;
    let s = start(Readiness::new(None, None), None).await;
    let mut client = AlphaClient::new(channel(&s.url).await);
    let list = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(AlphaRequest::ListServices(String::new())),
    };
    let symbol = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(AlphaRequest::FileContainingSymbol("payops.echo.v1.EchoService".into())),
    };
    let mut responses =
        client.server_reflection_info(futures::stream::iter([list, symbol])).await.unwrap().into_inner();
    let first = responses.message().await.unwrap().unwrap();
    let Some(AlphaResponse::ListServicesResponse(services)) = first.message_response else { panic!("{first:?}") };
    let mut names: Vec<String> = services.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, SERVED, "services listed over reflection v1alpha");
    let second = responses.message().await.unwrap().unwrap();
    assert!(
        matches!(second.message_response, Some(AlphaResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty())
    );
    s.token.cancel();
}

#[tokio::test]
async fn oversized_requests_are_refused_with_resource_exhausted() {
    let s = start(Readiness::new(None, None), None).await;
    let mut client = EchoServiceClient::connect(s.url.clone()).await.unwrap();
    let ok = client.echo(EchoRequest { message: "hi".into() }).await.unwrap();
    assert_eq!(ok.into_inner().message, "hi");
    let err = client.echo(EchoRequest { message: "x".repeat(100 * 1024) }).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    s.token.cancel();
}

#[tokio::test]
async fn se_01_bearer_tokens_are_required_except_for_health_reflection_and_public_methods() {
    let s = start(Readiness::new(None, None), Some("hotline:0123456789abcdef0123:echo.echo:*")).await;
    let channel = tonic::transport::Endpoint::from_shared(s.url.clone()).unwrap().connect().await.unwrap();
    let mut anonymous = EchoServiceClient::new(channel.clone());
    let err = anonymous.echo(EchoRequest { message: "hi".into() }).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    let wrong = SecretString::from("0123456789abcdef0124".to_owned());
    let mut wrong = EchoServiceClient::new(kit::grpc::client::connect_lazy(&s.url, Some(&wrong)).unwrap());
    assert_eq!(
        wrong.echo(EchoRequest { message: "hi".into() }).await.unwrap_err().code(),
        tonic::Code::Unauthenticated
    );

    let token = SecretString::from("0123456789abcdef0123".to_owned());
    let mut authed = EchoServiceClient::new(kit::grpc::client::connect_lazy(&s.url, Some(&token)).unwrap());
    let ok = authed.echo(EchoRequest { message: "hi".into() }).await.unwrap();
    assert_eq!(ok.into_inner().message, "hotline:hi", "the principal reached the handler");

    // A public method reaches the handler without a credential (here it answers UNIMPLEMENTED).
    let err = anonymous.get_note_count(GetNoteCountRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented, "{err:?}");
    assert_eq!(health(&s.url, "").await, ServingStatus::NotServing, "health needs no token");
    s.token.cancel();
}

#[tokio::test]
async fn se_02_a_caller_without_the_methods_permission_is_denied_before_the_handler_runs() {
    let s = start(Readiness::new(None, None), Some("hotline:0123456789abcdef0123:echo.echo:*")).await;
    let token = SecretString::from("0123456789abcdef0123".to_owned());
    let mut authed = EchoServiceClient::new(kit::grpc::client::connect_lazy(&s.url, Some(&token)).unwrap());
    let err = authed.record_note(RecordNoteRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied, "the handler (UNIMPLEMENTED) must not run: {err:?}");
    assert!(err.message().contains("echo.notes.write"), "{err:?}");
    s.token.cancel();
}

#[tokio::test]
async fn se_02_a_server_whose_permission_table_misses_a_served_method_does_not_start() {
    let server = GrpcServer::bind("127.0.0.1:0".parse().unwrap(), 64 * 1024)
        .await
        .unwrap()
        .add_service(EchoServiceServer::new(Echo))
        .with_access(None, &TABLE[..2]);
    let err = server.serve(&Readiness::new(None, None), CancellationToken::new()).await.unwrap_err();
    assert!(err.to_string().contains("GetNoteCount has no entry"), "{err}");
}

#[tokio::test]
async fn calls_are_counted_with_grpc_ecosystem_metrics() {
    let handle = kit::metrics::install();
    let s = start(Readiness::new(None, None), None).await;
    let mut client = EchoServiceClient::connect(s.url.clone()).await.unwrap();
    client.echo(EchoRequest { message: "m".into() }).await.unwrap();
    let _ = client.record_note(RecordNoteRequest::default()).await.unwrap_err();
    let text = handle.render();
    assert!(
        text.contains(
            r#"grpc_server_handled_total{grpc_service="payops.echo.v1.EchoService",grpc_method="Echo",grpc_code="OK"}"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"grpc_method="RecordNote",grpc_code="Unimplemented""#), "{text}");
    assert!(text.contains("grpc_server_handling_seconds_bucket"), "{text}");
    s.token.cancel();
}
