//! The WebDriver client lives in testkit (shared with pixi-sync's console tests).

pub use testkit::webdriver::*;
