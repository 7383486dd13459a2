//! The pages' templates (minijinja, HTML auto-escaped), embedded in the
//! binary so the server is one file.

use std::sync::LazyLock;

use axum::response::Html;
use minijinja::Environment;

/// A template that did not render: the server's fault, for its log.
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

#[cfg(test)]
mod tests {
    #[test]
    fn templates_parse_and_json_in_a_script_is_escaped() {
        assert_eq!(super::ENV.templates().count(), 10);
        // The recording page hands its data to its script with tojson
        // (minijinja's "json" feature), which must escape a closing tag.
        let out = super::ENV
            .render_str("{{ x | tojson }}", minijinja::context! { x => "</script>" })
            .unwrap();
        assert_eq!(out, r#""\u003c/script\u003e""#);
    }
}
