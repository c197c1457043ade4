//! Fault points: named places in the kit and the services where a test can make the process
//! "die" — the operation stops right there, its open transaction rolls back and nothing after
//! the point runs, exactly as if the process had been killed at that instant. Production code
//! never arms them; the chaos suite uses real SIGKILLs on top.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Raised at an armed fault point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("crashed at fault point {0}")]
pub struct Crashed(pub &'static str);

/// A set of armed fault points, shared by the parts of one service instance.
#[derive(Clone, Default)]
pub struct FaultPoints {
    /// Point name → how many more times it fires.
    armed: Arc<Mutex<HashMap<&'static str, u32>>>,
}

impl FaultPoints {
    /// No point armed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `point` fire the next time it is reached.
    pub fn arm(&self, point: &'static str) {
        self.arm_times(point, 1);
    }

    /// Makes `point` fire the next `times` times it is reached.
    pub fn arm_times(&self, point: &'static str, times: u32) {
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).insert(point, times);
    }

    /// Returns `Err(Crashed)` if `point` is armed (and counts the firing).
    pub fn check(&self, point: &'static str) -> Result<(), Crashed> {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        match armed.get_mut(point) {
            Some(n) if *n > 0 => {
                *n -= 1;
                tracing::warn!(point, "fault point fired");
                Err(Crashed(point))
            }
            _ => Ok(()),
        }
    }

    /// True while `point` is still armed.
    pub fn is_armed(&self, point: &'static str) -> bool {
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).get(point).is_some_and(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_the_armed_number_of_times() {
        let f = FaultPoints::new();
        assert!(f.check("p").is_ok());
        f.arm_times("p", 2);
        assert_eq!(f.check("p"), Err(Crashed("p")));
        assert!(f.is_armed("p"));
        assert_eq!(f.check("p"), Err(Crashed("p")));
        assert!(f.check("p").is_ok());
        assert!(f.check("other").is_ok());
    }
}
