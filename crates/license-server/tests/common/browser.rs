//! A real browser for the console's tests: Debian's `chromium`, headless, driven through
//! `chromedriver` (WebDriver, with `fantoccini`) on `127.0.0.1`. Every page a test visits is
//! checked for console errors (a failed asset, a Content-Security-Policy violation, a script
//! error) and photographed at 1280 and 390 px wide under the target directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The widths every page is photographed at: a desktop and a phone.
pub const WIDTHS: [(u32, u32); 2] = [(1280, 900), (390, 844)];

/// A browser session and its driver (stopped on drop).
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    /// Where screenshots go.
    pub shots: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `POST /session/{id}/se/log` for the browser's console (ChromeDriver's log endpoint).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The driver and browser binaries: `LICENSE_TEST_CHROMEDRIVER` / `LICENSE_TEST_CHROMIUM`, or
/// Debian's paths. `None` (the test says it skips) when the driver is absent, unless `CI=true`:
/// then its absence fails the test.
fn binaries() -> Option<(PathBuf, PathBuf)> {
    let driver = std::env::var_os("LICENSE_TEST_CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    let chromium = std::env::var_os("LICENSE_TEST_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if driver.exists() && chromium.exists() {
        return Some((driver, chromium));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} or {} is missing (apt-get install chromium chromium-driver)",
        driver.display(),
        chromium.display()
    );
    eprintln!(
        "skipping: {} or {} is missing (apt-get install chromium chromium-driver)",
        driver.display(),
        chromium.display()
    );
    None
}

/// A free port on 127.0.0.1 for the driver (it takes a port number, not `:0`).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A headless browser, or `None` where none is installed (see [`binaries`]).
    pub async fn start(test: &str) -> Option<Browser> {
        let (driver_bin, chromium) = binaries()?;
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let began = Instant::now();
        while crate::common::send("GET", &format!("127.0.0.1:{port}"), "/status", &[], None)
            .is_err()
        {
            assert!(
                began.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--lang=zh-CN", "--hide-scrollbars",
                         "--window-size=1280,900"]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a WebDriver session");
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("console-screenshots")
            .join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Browser {
            client,
            driver,
            shots,
        })
    }

    /// The browser console's errors since the last call (each read empties the log).
    pub async fn errors(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .unwrap_or(Value::Null);
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Fails on any console error of the page shown now.
    pub async fn clean(&self, what: &str) {
        let errors = self.errors().await;
        assert!(
            errors.is_empty(),
            "{what}: the browser console says {errors:#?}"
        );
    }

    /// Goes to `url` and checks the page.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.clean(url).await;
    }

    /// The element a CSS selector finds.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Types into the input a selector finds (emptied first).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Clicks what a selector finds (a check box, say: nothing is loaded).
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
        self.clean(css).await;
    }

    /// Clicks what a selector finds and waits for the page it leads to (a form's button or a
    /// link), then checks that page.
    pub async fn submit(&self, css: &str) {
        let mark = "document.documentElement.dataset.left = '1'";
        self.client.execute(mark, vec![]).await.unwrap();
        self.find(css).await.click().await.unwrap();
        let began = Instant::now();
        let arrived =
            "return document.readyState === 'complete' && !document.documentElement.dataset.left";
        while self.client.execute(arrived, vec![]).await.ok() != Some(Value::Bool(true)) {
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "{css}: no page came"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.clean(css).await;
    }

    /// The page's text.
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// The path of the page shown now.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Photographs the page shown now at both widths, whole (the window as tall as the page,
    /// up to 6000 px), as `{name}-{width}.png`; checks that nothing is wider than the window.
    pub async fn shoot(&self, name: &str) {
        for (w, h) in WIDTHS {
            self.client.set_window_size(w, h).await.unwrap();
            let height = self
                .client
                .execute("return document.documentElement.scrollHeight", vec![])
                .await
                .unwrap()
                .as_u64()
                .unwrap_or(u64::from(h));
            let tall = u32::try_from(height).unwrap_or(h).clamp(h, 6_000);
            self.client.set_window_size(w, tall + 140).await.unwrap();
            let overflow = self
                .client
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                    vec![],
                )
                .await
                .unwrap()
                .as_i64()
                .unwrap_or(0);
            assert!(
                overflow <= 0,
                "{name} at {w} px: the page is {overflow} px wider than the window"
            );
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(self.shots.join(format!("{name}-{w}.png")), png).unwrap();
        }
        self.client.set_window_size(1280, 900).await.unwrap();
        self.clean(name).await;
    }
}
