//! The pages' templates (minijinja, HTML auto-escaped), embedded in the
//! binary so the server is one file.

use std::sync::LazyLock;

use axum::response::Html;
use minijinja::Environment;

/// A template that did not render: the server's fault, for its log.
#[derive(Debug)]
pub struct TemplateFailed(pub String);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, text) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        ("search.html", include_str!("templates/search.html")),
        ("freshness.html", include_str!("templates/freshness.html")),
        ("recording.html", include_str!("templates/recording.html")),
        ("together.html", include_str!("templates/together.html")),
        ("trail.html", include_str!("templates/trail.html")),
        ("audit.html", include_str!("templates/audit.html")),
        ("error.html", include_str!("templates/error.html")),
        ("facts.html", include_str!("templates/facts.html")),
        ("marks.txt", include_str!("templates/marks.txt")),
    ] {
        env.add_template(name, text)
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env.add_filter("secs", super::words::secs);
    // A number as Rust writes it (440, not 440.0).
    env.add_filter("plain", |v: f64| v.to_string());
    env
});

pub fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, TemplateFailed> {
    ENV.get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| TemplateFailed(format!("template {name}: {e:#}")))
}

/// Fills each mark's `label` and `short` from templates/marks.txt.
pub fn say_marks(marks: &mut [super::words::Mark]) -> Result<(), TemplateFailed> {
    let failed = |e: minijinja::Error| TemplateFailed(format!("template marks.txt: {e:#}"));
    let words = ENV.get_template("marks.txt").map_err(failed)?;
    let captured = words
        .render_captured(minijinja::context! {})
        .map_err(failed)?;
    let state = captured.state();
    let say = |name: &str, m: &super::words::Mark| -> Result<String, TemplateFailed> {
        let said = state
            .call_macro(name, &[minijinja::Value::from_serialize(m)])
            .map_err(failed)?;
        Ok(said.trim().to_string())
    };
    for m in marks.iter_mut() {
        m.label = say("label", m)?;
        m.short = say("short", m)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_parse_and_json_in_a_script_is_escaped() {
        assert_eq!(super::ENV.templates().count(), 11);
        // The recording page hands its data to its script with tojson
        // (minijinja's "json" feature), which must escape a closing tag.
        let out = super::ENV
            .render_str("{{ x | tojson }}", minijinja::context! { x => "</script>" })
            .unwrap();
        assert_eq!(out, r#""\u003c/script\u003e""#);
    }

    #[test]
    fn marks_are_said_as_the_page_said_them() {
        use super::super::words::Mark;
        let m = |kind, f: fn(&mut Mark)| {
            let mut m = Mark {
                kind,
                ..Mark::default()
            };
            f(&mut m);
            m
        };
        let mut marks = vec![
            m("notice", |m| m.party = Some("caller".into())),
            m("notice", |m| m.party = Some("both".into())),
            m("consent", |m| {
                m.what = Some("accepted".into());
                m.how = Some("opt-out".into());
            }),
            m("mask", |m| m.by = Some("dialplan".into())),
            m("pause", |m| {
                m.by = Some("cli".into());
                m.length = Some(2.5);
            }),
            m("pause", |m| m.by = Some("key <b>".into())),
            m("beep", |_| {}),
            m("peer", |m| m.what = Some("Alice".into())),
            m("key", |m| {
                m.what = Some("*1".into());
                m.how = Some("mask".into());
                m.party = Some("agent".into());
            }),
        ];
        super::say_marks(&mut marks).unwrap();
        let said: Vec<(&str, &str)> = marks
            .iter()
            .map(|m| (m.label.as_str(), m.short.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                ("played to the caller", "notice"),
                ("played to both parties", "notice"),
                ("accepted (opt-out)", "consent: accepted"),
                ("silence, asked by dialplan", "masked"),
                ("2.5 s cut out, asked by cli", "paused 2.5 s"),
                // Plain text: the page escapes it where it puts it.
                ("the rest cut out, asked by key <b>", "paused to the end"),
                ("warning tone", "beep"),
                ("Alice", "Alice"),
                ("*1 mask on the agent side", "key *1"),
            ]
        );
    }
}
