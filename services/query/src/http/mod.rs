//! The HTTP JSON API (being written).

use std::sync::Arc;

use spur_storage::{DependencyStore, SpanReader};

/// The `/api` routes over a reader and, when the backend has them, dependency links.
pub fn router(
    reader: Arc<dyn SpanReader>,
    dependencies: Option<Arc<dyn DependencyStore>>,
) -> axum::Router {
    let _ = (reader, dependencies);
    axum::Router::new()
}
