//! [`CheckedProcesses`]: processes already checked, so that the spans of one process, which
//! carry the very same process bytes, have them checked once.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::messages;

/// At most this many processes are remembered; past it the memory starts over.
const MAX_PROCESSES: usize = 256;

/// Processes checked before, by their protobuf bytes (exact: only identical bytes are taken as
/// checked), with where their service name lies in them. Give one to
/// [`super::SpanView::parse_with`] for a batch of spans.
#[derive(Debug, Default)]
pub struct CheckedProcesses {
    services: FxHashMap<Box<[u8]>, Range<usize>>,
}

impl CheckedProcesses {
    /// The service name of a process given as its bytes, checked as [`super::SpanView::parse`]
    /// checks it unless these very bytes were checked before; `None` when they are malformed.
    pub(super) fn service<'a>(&mut self, process: &'a [u8]) -> Option<&'a str> {
        if let Some(range) = self.services.get(process) {
            return std::str::from_utf8(process.get(range.clone())?).ok();
        }
        let service = messages::process(process)?;
        let start = match service.is_empty() {
            true => 0,
            false => (service.as_ptr() as usize).wrapping_sub(process.as_ptr() as usize),
        };
        if self.services.len() >= MAX_PROCESSES {
            self.services.clear();
        }
        self.services
            .insert(process.into(), start..start + service.len());
        Some(service)
    }

    /// How many processes are remembered.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}
