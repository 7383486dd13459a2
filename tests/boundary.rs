//! The FFI boundary's own promises, called as the PBX calls them: what the
//! core changes in the process it is loaded into, it puts back.

use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};

use legrec::ffi::bindings::{legrec_host, legrec_log_record, LEGREC_OK};
use legrec::ffi::*;

static OURS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn quiet_log(_: *mut std::ffi::c_void, _: *const legrec_log_record) {}

#[test]
fn the_panic_hook_that_was_there_is_put_back_when_the_core_goes() {
    // The program that loaded the core has its own hook.
    std::panic::set_hook(Box::new(|_| {
        OURS.fetch_add(1, Ordering::SeqCst);
    }));
    let tmp = tempfile::tempdir().unwrap();
    let spool = CString::new(tmp.path().to_str().unwrap()).unwrap();
    let (general, key, policy) = (c"general", c"spool_dir", c"p");
    unsafe {
        let config = legrec_config_new();
        assert_eq!(
            legrec_config_set(config, general.as_ptr(), key.as_ptr(), spool.as_ptr(), 1),
            LEGREC_OK
        );
        assert_eq!(
            legrec_config_set(
                config,
                policy.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                2
            ),
            LEGREC_OK
        );
        let host = legrec_host {
            log: Some(quiet_log),
            finished: None,
            userdata: std::ptr::null_mut(),
        };
        let mut core = std::ptr::null_mut();
        let r = legrec_core_new(config, &host, &mut core, std::ptr::null_mut(), 0);
        assert_eq!(r, LEGREC_OK);
        // While the core lives, a panic goes to the core's logger ...
        let _ = std::panic::catch_unwind(|| panic!("inside"));
        assert_eq!(
            OURS.load(Ordering::SeqCst),
            0,
            "the core's hook was not in place"
        );
        legrec_core_free(core);
        legrec_config_free(config);
    }
    // ... and after it, to the program's own hook again.
    let _ = std::panic::catch_unwind(|| panic!("after"));
    assert_eq!(
        OURS.load(Ordering::SeqCst),
        1,
        "the program's panic hook was not put back"
    );
    let _ = std::panic::take_hook();
}
