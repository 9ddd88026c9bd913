//! A small incremental parser for the backend's Server-Sent Events (the WHATWG event-stream format:
//! `event:`/`data:` lines, events separated by a blank line, comments starting with `:`).

/// One dispatched event: its type (`message` when unnamed) and its data lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Feed it chunks as they arrive; it returns the events completed so far.
#[derive(Debug, Default)]
pub struct SseParser {
    pending: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.pending.extend_from_slice(chunk);
        let mut events = Vec::new();
        // Lines are split on bytes, so a multi-byte character split across chunks stays intact.
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if let Some(event) = self.dispatch() {
                    events.push(event);
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => self.event = value.to_string(),
                "data" => self.data.push(value.to_string()),
                _ => {} // `id` and `retry` mean nothing to a one-shot proxy
            }
        }
        events
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(SseEvent {
            event: if event.is_empty() { "message".into() } else { event },
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_across_arbitrary_chunk_boundaries() {
        let stream = "event: delta\ndata: {\"content\":\"Hé\"}\n\n: keep-alive\n\nevent: done\r\ndata: {\"a\":1}\r\ndata: 2\r\n\r\n";
        let expected = vec![
            SseEvent {
                event: "delta".into(),
                data: "{\"content\":\"Hé\"}".into(),
            },
            SseEvent {
                event: "done".into(),
                data: "{\"a\":1}\n2".into(),
            },
        ];
        for size in [1, 2, 3, 7, stream.len()] {
            let mut parser = SseParser::default();
            let events: Vec<_> = stream
                .as_bytes()
                .chunks(size)
                .flat_map(|chunk| parser.push(chunk))
                .collect();
            assert_eq!(events, expected, "chunk size {size}");
        }
    }
}
