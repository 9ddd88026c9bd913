//! Stopping a running turn on request. The stop takes effect between steps, never while a tool
//! call is under way, so every change a turn made is also in the reply it stores.

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Default, Clone, Copy)]
struct StopState {
    requested: bool,
    tools_running: usize,
}

/// Shared by a turn (which marks its tool calls) and whoever may ask it to stop.
#[derive(Debug, Clone, Default)]
pub(crate) struct StopSwitch(Arc<watch::Sender<StopState>>);

impl StopSwitch {
    pub(crate) fn request(&self) {
        self.0.send_modify(|state| state.requested = true);
    }

    /// Held for the length of a tool call: a stop waits until it is dropped.
    pub(crate) fn tool_running(&self) -> ToolRunning {
        self.0.send_modify(|state| state.tools_running += 1);
        ToolRunning(self.clone())
    }

    /// Resolves once a stop has been requested and no tool call is under way.
    pub(crate) async fn stopped(&self) {
        let mut state = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = state
            .wait_for(|state| state.requested && state.tools_running == 0)
            .await;
    }
}

/// A tool call under way (see [`StopSwitch::tool_running`]).
#[derive(Debug)]
pub(crate) struct ToolRunning(StopSwitch);

impl Drop for ToolRunning {
    fn drop(&mut self) {
        self.0.0.send_modify(|state| state.tools_running -= 1);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_stop_waits_for_the_tool_call_under_way() {
        let switch = StopSwitch::default();
        let call = switch.tool_running();
        switch.request();
        let waiting = tokio::time::timeout(Duration::from_millis(50), switch.stopped()).await;
        assert!(waiting.is_err(), "no stop while a tool runs");
        drop(call);
        tokio::time::timeout(Duration::from_secs(1), switch.stopped())
            .await
            .expect("stopped once the call is over");
    }

    #[tokio::test]
    async fn nothing_stops_without_a_request() {
        let switch = StopSwitch::default();
        let waiting = tokio::time::timeout(Duration::from_millis(50), switch.stopped()).await;
        assert!(waiting.is_err());
    }
}
