//! The spool: where recordings are written and how (`layout` names every
//! file, `files` creates them safely).  Shared by the recorder, which
//! writes, and the admin tools, which read, repair and prune.

pub mod digest;
pub mod files;
pub mod layout;
