//! Where a recording's files come from and what they say: the opener
//! threads that create them, their handover to the encoder, and the
//! sidecar (`report`).

pub(crate) mod handover;
pub(crate) mod opener;
pub(crate) mod report;
