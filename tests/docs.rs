//! The documentation an admin reads (`core show application LegRecord`,
//! `manager show command`, the AMI event docs, all from
//! c-shim/asterisk/legrec-en_US.xml) says what the code does: every value
//! the shim sets, every event it raises with every field, every
//! application and action it registers.  Read from the sources, so a value
//! added on one side only fails here.

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn shim_sources() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("c-shim/asterisk");
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "c") {
            all.push_str(&std::fs::read_to_string(e.path()).unwrap());
        }
    }
    all
}

/// Every `"..."` that follows `prefix` in `text`.
fn quoted_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let start = rest.find('"')?;
            // Only a literal right after the prefix (spaces aside).
            if !rest[..start].trim().is_empty() {
                return None;
            }
            let end = rest[start + 1..].find('"')?;
            Some(rest[start + 1..start + 1 + end].to_string())
        })
        .collect()
}

/// The text of the XML element `<tag name="NAME" ...> ... </tag>`.
fn element<'a>(xml: &'a str, tag: &str, name: &str) -> Option<&'a str> {
    let open = format!("<{tag} name=\"{name}\"");
    let alt = format!("<{tag} language=\"en_US\" name=\"{name}\"");
    let start = xml.find(&open).or_else(|| xml.find(&alt))?;
    let end = xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..start + end])
}

fn names(xml: &str, tag: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in xml.match_indices(&format!("<{tag} ")) {
        let head = &xml[i..i + xml[i..].find('>').unwrap()];
        if let Some(n) = head.split("name=\"").nth(1) {
            out.insert(n.split('"').next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn the_xml_documents_every_status_the_shim_sets() {
    let xml = read("c-shim/asterisk/legrec-en_US.xml");
    let c = shim_sources();
    // The shim names each status by the header's legrec_start; the words
    // are the core's (legrec_start_name).  After the consent window it sets
    // the status legrec_consent_steps_for() gives, for any decision.
    let start_word = |value| {
        let name = legrec::ffi::legrec_start_name(value);
        // SAFETY: a static NUL-terminated string (header, "names").
        unsafe { std::ffi::CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    };
    let after_consent: Vec<String> = if c.contains("*status = steps.status;") {
        (0..=3)
            .map(|decision| {
                let mut steps = std::mem::MaybeUninit::uninit();
                // SAFETY: `steps` is a writable legrec_consent_steps.
                let r =
                    unsafe { legrec::ffi::legrec_consent_steps_for(decision, steps.as_mut_ptr()) };
                assert_eq!(r, legrec::ffi::bindings::LEGREC_OK);
                // SAFETY: written on LEGREC_OK.
                start_word(unsafe { steps.assume_init() }.status)
            })
            .collect()
    } else {
        Vec::new()
    };
    let set: BTreeSet<String> = c
        .match_indices("LEGREC_START_")
        .map(|(i, _)| {
            let rest = &c[i + "LEGREC_START_".len()..];
            let end = rest
                .find(|ch: char| !(ch.is_ascii_uppercase() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            let value = match word {
                "RECORDING" => legrec::ffi::bindings::LEGREC_START_RECORDING,
                "DECLINED" => legrec::ffi::bindings::LEGREC_START_DECLINED,
                "EXEMPT" => legrec::ffi::bindings::LEGREC_START_EXEMPT,
                "FAILED" => legrec::ffi::bindings::LEGREC_START_FAILED,
                other => panic!("LEGREC_START_{other} is not in the header"),
            };
            start_word(value)
        })
        .chain(after_consent)
        .collect();
    assert!(
        !c.contains("\"RECORDING\"") && !c.contains("\"DECLINED\""),
        "a status spelled in the shim instead of legrec_start_name()"
    );
    let var = element(&xml, "variable", "LEGREC_STATUS").expect("LEGREC_STATUS documented");
    let documented = names(var, "value");
    assert_eq!(
        documented, set,
        "LEGREC_STATUS: documented vs set by c-shim/asterisk"
    );
}

#[test]
fn the_xml_documents_every_event_and_its_fields() {
    let xml = read("c-shim/asterisk/legrec-en_US.xml");
    let c = shim_sources();
    let raised = quoted_after(&c, "manager_event(EVENT_FLAG_CALL,");
    assert!(raised.contains("LegRecordStart"), "{raised:?}");
    assert_eq!(
        names(&xml, "managerEvent"),
        raised,
        "events documented vs raised"
    );
    for event in &raised {
        // The format string that follows the event name: "Field: %s\r\n..."
        let at = c.find(&format!("\"{event}\",")).unwrap() + event.len() + 3;
        let call_end = at + c[at..].find(");").unwrap();
        let fields: BTreeSet<String> = c[at..call_end]
            .split("\\r\\n")
            .filter_map(|part| {
                let f = part.rsplit('"').next()?.trim();
                f.split_once(':').map(|(k, _)| k.trim().to_string())
            })
            .filter(|k| !k.is_empty() && k.chars().all(|ch| ch.is_ascii_alphanumeric()))
            .collect();
        let doc = element(&xml, "managerEvent", event).unwrap();
        assert_eq!(
            names(doc, "parameter"),
            fields,
            "{event}: fields documented vs sent"
        );
    }
}

#[test]
fn the_xml_documents_every_application_and_action() {
    let xml = read("c-shim/asterisk/legrec-en_US.xml");
    let c = shim_sources();
    let apps: BTreeSet<String> = c
        .lines()
        .filter(|l| l.starts_with("static const char app_"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    assert_eq!(apps.len(), 6, "{apps:?}");
    assert_eq!(
        names(&xml, "application"),
        apps,
        "applications documented vs registered"
    );
    let actions = quoted_after(&c, "ast_manager_register_xml(");
    assert_eq!(
        names(&xml, "manager"),
        actions,
        "AMI actions documented vs registered"
    );
}
