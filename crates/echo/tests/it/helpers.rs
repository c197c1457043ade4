//! `TestApp::spawn()`: the real `App` on random ports with its own database and stream; the
//! relay and the consumer are driven step by step with `drain()`.

use kit::bus::{Consumer, Relay};
use kit::clock::ManualClock;
use kit::grpc::client::TracedChannel;
use proto::payops::echo::v1::echo_service_client::EchoServiceClient;
use testkit::TestEnv;
use tokio::sync::oneshot;

use echo::app::App;
use echo::bus::NoteCounter;
use echo::config::Config;

pub struct TestApp {
    /// Keeps the database and stream alive for the test (dropped at the end).
    pub _env: TestEnv,
    pub grpc_url: String,
    pub admin_url: String,
    pub relay: Relay,
    pub consumer: Consumer<NoteCounter>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let env = TestEnv::new().await.unwrap();
        let config = Config::from_env(&env.service_env("echo")).unwrap();
        let mut app = App::build(config, ManualClock::at_default().shared()).await.unwrap();
        app.run_workers = false;
        let consumer = app.consumer.take().unwrap();
        let relay = app.platform.relay();
        let grpc_url = format!("http://{}", app.grpc_addr());
        let admin_url = format!("http://{}", app.admin_addr());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp { _env: env, grpc_url, admin_url, relay, consumer, stop: Some(tx), task: Some(task) }
    }

    pub async fn client(&self) -> EchoServiceClient<TracedChannel> {
        EchoServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    /// Publishes the outbox and runs the consumer until idle.
    pub async fn drain(&self) -> usize {
        self.relay.drain().await.unwrap();
        self.consumer.drain().await.unwrap()
    }

    /// Sends the shutdown signal and waits for a clean exit.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}
