//! A NULL where the header wants a pointer is refused with
//! LEGREC_ERR_NULL_PARAMETER and, off the media path, a WARNING that names
//! the argument: a shim's bug the admin sees on the console.  On the media
//! path (push) the header promises no log callback, so it stays quiet.

use std::ffi::{CStr, CString};
use std::sync::Mutex;

use legrec::ffi::bindings::{
    legrec_host, legrec_log_level, legrec_log_record, LEGREC_ERR_NULL_PARAMETER, LEGREC_LEG_IN,
    LEGREC_LOG_WARN, LEGREC_OK,
};
use legrec::ffi::*;

static LINES: Mutex<Vec<(legrec_log_level, String)>> = Mutex::new(Vec::new());

unsafe extern "C" fn collect(_: *mut std::ffi::c_void, record: *const legrec_log_record) {
    let r = unsafe { &*record };
    let msg = unsafe { CStr::from_ptr(r.message) }
        .to_string_lossy()
        .into_owned();
    LINES.lock().unwrap().push((r.level, msg));
}

fn warnings_naming(arg: &str) -> usize {
    let needle = format!("`{arg}`");
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, m)| *level == LEGREC_LOG_WARN && m.contains(&needle))
        .count()
}

#[test]
fn a_null_argument_is_refused_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = CString::new(tmp.path().to_str().unwrap()).unwrap();
    unsafe {
        let config = legrec_config_new();
        assert_eq!(
            legrec_config_set(
                config,
                c"general".as_ptr(),
                c"spool_dir".as_ptr(),
                spool.as_ptr(),
                1
            ),
            LEGREC_OK
        );
        let host = legrec_host {
            log: Some(collect),
            finished: None,
            userdata: std::ptr::null_mut(),
        };
        let mut core = std::ptr::null_mut();
        assert_eq!(
            legrec_core_new(config, &host, &mut core, std::ptr::null_mut(), 0),
            LEGREC_OK
        );

        let r = legrec_core_reload(core, std::ptr::null(), std::ptr::null_mut(), 0);
        assert_eq!(r, LEGREC_ERR_NULL_PARAMETER);
        // (The lines are copied out first: a failing assert must not hold
        // the lock its own panic message would log through.)
        let seen = LINES.lock().unwrap().clone();
        assert_eq!(warnings_naming("config"), 1, "{seen:?}");

        let r = legrec_config_set(config, std::ptr::null(), c"k".as_ptr(), c"v".as_ptr(), 3);
        assert_eq!(r, LEGREC_ERR_NULL_PARAMETER);
        assert_eq!(warnings_naming("section"), 1);

        // The media path: refused, not logged.
        let frame = [0i16; 160];
        let before = LINES.lock().unwrap().len();
        let r = legrec_recording_push(
            std::ptr::null_mut(),
            LEGREC_LEG_IN,
            frame.as_ptr(),
            160,
            8000,
        );
        assert_eq!(r, LEGREC_ERR_NULL_PARAMETER);
        assert_eq!(LINES.lock().unwrap().len(), before);

        legrec_core_free(core);
        legrec_config_free(config);
    }
}
