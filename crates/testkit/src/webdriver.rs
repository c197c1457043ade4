//! A small W3C WebDriver client over reqwest, enough to drive headless Chromium through
//! chromedriver (Debian packages `chromium` and `chromium-driver`): sessions, navigation,
//! elements, keys, clicks, scripts, window size and screenshots. Used by the browser tests of
//! hotline-api's portal and pixi-sync's console.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test harness: a browser session that breaks fails the test driving it, with the WebDriver message"
)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for the page lasts before the test fails (generous: browser tests share two
/// cores with builds and other tests).
const WAIT: Duration = Duration::from_secs(45);

/// The Tab key for [`Session::keys`].
pub const TAB: &str = "\u{E004}";
/// The Enter key.
pub const ENTER: &str = "\u{E007}";
/// The space bar.
pub const SPACE: &str = " ";
/// Arrow down.
pub const DOWN: &str = "\u{E015}";

/// A running chromedriver.
pub struct Driver {
    _child: Child,
    base: String,
    http: reqwest::Client,
}

impl Driver {
    /// Starts `chromedriver` (or `$CHROMEDRIVER`) on a free port.
    pub async fn start() -> Driver {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            Path::new(&bin).exists(),
            "{bin} not found: install the Debian packages chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .arg(format!("--port={port}"))
            .arg("--silent")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(started.elapsed() < WAIT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver { _child: child, base, http }
    }

    /// A new headless Chromium with a fresh profile.
    pub async fn session(&self) -> Session {
        let profile = std::env::temp_dir().join(format!("hotline-chromium-{}", uuid::Uuid::new_v4()));
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            "--lang=de-CH",
        ];
        let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": binary, "args": args },
        }}});
        let r: Value =
            self.http.post(format!("{}/session", self.base)).json(&caps).send().await.unwrap().json().await.unwrap();
        let id = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_owned();
        Session { http: self.http.clone(), base: format!("{}/session/{id}", self.base), profile }
    }
}

/// One browser. Its profile directory is removed when the session is dropped (after
/// [`Session::quit`], or when a failing test unwinds): Chromium leaves a `--user-data-dir` it
/// was given behind, a few MB per session in the machine's temporary directory.
pub struct Session {
    http: reqwest::Client,
    base: String,
    profile: PathBuf,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// An element reference.
#[derive(Clone)]
pub struct El(String);

impl Session {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    async fn try_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Option<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.ok()?.json().await.ok()?;
        v["value"]["error"].is_null().then(|| v["value"].clone())
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn size(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// The first element matching `css`, waiting up to 20 s for it to exist.
    pub async fn find(&self, css: &str) -> El {
        let started = Instant::now();
        loop {
            let v = self
                .try_call(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css })))
                .await;
            if let Some(id) = v.as_ref().and_then(|v| v[ELEMENT].as_str()) {
                return El(id.to_owned());
            }
            assert!(started.elapsed() < WAIT, "no element {css}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<El> {
        let v =
            self.call(reqwest::Method::POST, "/elements", Some(json!({ "using": "css selector", "value": css }))).await;
        v.as_array().unwrap().iter().map(|e| El(e[ELEMENT].as_str().unwrap().to_owned())).collect()
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.wait_displayed(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{}/click", el.0), Some(json!({}))).await;
    }

    /// Clears `css` and types `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{}/clear", el.0), Some(json!({}))).await;
        self.call(reqwest::Method::POST, &format!("/element/{}/value", el.0), Some(json!({ "text": text }))).await;
    }

    /// Presses `keys` on whatever has the focus, as a keyboard would (W3C key actions):
    /// [`TAB`], [`ENTER`], [`SPACE`], [`DOWN`] or plain characters.
    pub async fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for k in keys.chars() {
            actions.push(json!({ "type": "keyDown", "value": k.to_string() }));
            actions.push(json!({ "type": "keyUp", "value": k.to_string() }));
        }
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// The current value of the form field matching `css` (what the user sees, not the HTML
    /// attribute).
    pub async fn value(&self, css: &str) -> String {
        let script = "const e = document.querySelector(arguments[0]); return e ? String(e.value) : '';";
        let v =
            self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [css] }))).await;
        v.as_str().unwrap_or("").to_owned()
    }

    /// `data-testid` of the element that has the focus (empty when none has one).
    pub async fn focused(&self) -> String {
        let v =
            self.run("const e = document.activeElement; return e && e.dataset ? (e.dataset.testid || '') : '';").await;
        v.as_str().unwrap_or("").to_owned()
    }

    /// The rendered text of the first element matching `css`, waiting up to 20 s for it to exist.
    /// Read by a script, so a page that re-renders the element meanwhile cannot make the read fail.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await;
        let script = "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';";
        let v =
            self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [css] }))).await;
        v.as_str().unwrap_or("").to_owned()
    }

    /// Whether an element matching `css` exists and is rendered (the page hides with `hidden`).
    pub async fn displayed(&self, css: &str) -> bool {
        let script = "const e = document.querySelector(arguments[0]); \
            return !!e && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) \
            && getComputedStyle(e).visibility !== 'hidden';";
        let v =
            self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [css] }))).await;
        v.as_bool().unwrap_or(false)
    }

    pub async fn wait_displayed(&self, css: &str) {
        self.wait(&format!("{css} visible"), || async move { self.displayed(css).await }).await;
    }

    /// Waits until the page says `state` in `data-state` of `css`.
    pub async fn wait_state(&self, css: &str, state: &str) {
        self.wait(&format!("{css} state {state}"), || async move { self.attr(css, "data-state").await == state }).await;
    }

    /// Waits until the text of `css` contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        let started = Instant::now();
        loop {
            if self.displayed(css).await {
                last = self.text(css).await;
                if last.contains(needle) {
                    return last;
                }
            }
            assert!(started.elapsed() < WAIT, "{css} never contained {needle:?}; last {last:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn attr(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{}/attribute/{name}", el.0), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn wait<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let started = Instant::now();
        while !check().await {
            assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs an async script; `arguments[arguments.length - 1]` is the callback.
    pub async fn run_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({ "script": script, "args": [] }))).await
    }

    pub async fn run(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Ends the browser; its profile directory goes with the session.
    pub async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
    }

    /// The browser's profile directory.
    pub fn profile(&self) -> &Path {
        &self.profile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quit_session_leaves_no_browser_profile_behind() {
        let driver = Driver::start().await;
        let session = driver.session().await;
        session.goto("about:blank").await;
        let profile = session.profile().to_owned();
        assert!(profile.is_dir(), "Chromium writes its profile to {}", profile.display());
        session.quit().await;
        assert!(!profile.exists(), "{} is left behind", profile.display());
    }
}
