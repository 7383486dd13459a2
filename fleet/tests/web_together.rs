//! Both legs of a split recording played together, in real Chromium (over
//! chromium-driver) on a call the real core recorded in real time, whose
//! legs carry different tones (`in` 320 Hz, `out` 560 Hz): one transport
//! plays, pauses and seeks both, each leg's sound reaches the page's audio
//! output with its own tone, the legs stay together after seeks by a mark's
//! button and by the keyboard, each volume changes its own leg only, and
//! the access trail has the play once, as `in+out`.

mod common;

use std::time::Duration;

use common::browser::*;
use common::web::*;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::json;

#[test]
fn both_legs_play_together_in_step_with_a_volume_each_and_one_play_in_the_trail() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let sidecar = record_call_centre_as(&spool, "split");
    let id = sidecar.file_stem().unwrap().to_str().unwrap().to_string();
    let conf = conf_with_sue(tmp.path(), &spool);
    let server = Server::start(&conf);
    let driver = Driver::start();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let c = driver.browser().await;
        listen(&c, &server, &id).await;
        c.close().await.unwrap();
    });
    // The access trail's chain, which legrec verify checks, has the play,
    // once.
    assert_verified(&spool);
    let log = std::fs::read_to_string(spool.join("access.jsonl")).unwrap();
    let plays: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"event\":\"played\""))
        .collect();
    assert_eq!(plays.len(), 1, "{plays:?}");
    assert!(plays[0].contains(r#"\"what\":\"in+out\""#), "{}", plays[0]);
}

/// The highest level (dB) each leg's analyser showed at 320 and 560 Hz
/// while the page played for `ms`.
async fn tones(c: &Client, ms: u64) -> serde_json::Value {
    c.execute_async(
        r#"const [ms, done] = arguments;
        const t = document.getElementById('together').together;
        const seen = {};
        // What was heard before the time watched is not averaged in.
        for (const name of ['in', 'out']) { t.legs[name].analyser.smoothingTimeConstant = 0; }
        const id = setInterval(() => {
          for (const name of ['in', 'out']) {
            const a = t.legs[name].analyser;
            const buf = new Float32Array(a.frequencyBinCount);
            a.getFloatFrequencyData(buf);
            seen[name] = seen[name] || {};
            for (const hz of [320, 560]) {
              const bin = Math.round(hz * a.fftSize / t.context.sampleRate);
              const db = Math.max(-200, buf[bin - 1], buf[bin], buf[bin + 1]);
              seen[name][hz] = Math.max(seen[name][hz] ?? -200, db);
            }
          }
        }, 40);
        setTimeout(() => { clearInterval(id); done(seen); }, ms);"#,
        vec![json!(ms)],
    )
    .await
    .unwrap()
}

fn db(v: &serde_json::Value, leg: &str, hz: &str) -> f64 {
    v[leg][hz]
        .as_f64()
        .unwrap_or_else(|| panic!("{leg} {hz}: {v}"))
}

/// Both legs' times, and whether they play.
const TIMES: &str = "const a = document.getElementById('leg-in'), b = document.getElementById('leg-out'); \
     return [a.currentTime, b.currentTime, !a.paused && !b.paused, a.webkitAudioDecodedByteCount, b.webkitAudioDecodedByteCount];";

async fn times(c: &Client) -> (f64, f64, bool, u64, u64) {
    let v = js(c, TIMES).await;
    (
        v[0].as_f64().unwrap(),
        v[1].as_f64().unwrap(),
        v[2].as_bool().unwrap(),
        v[3].as_u64().unwrap(),
        v[4].as_u64().unwrap(),
    )
}

/// Watches the legs for a second: they play, within 0.1 s of each other.
async fn in_step(c: &Client, from: f64, to: f64) {
    wait_js(
        c,
        &format!("const a = document.getElementById('leg-in'); return !a.seeking && a.currentTime >= {from} && a.currentTime < {to}"),
        "the seek",
    )
    .await;
    for _ in 0..10 {
        let (a, b, playing, _, _) = times(c).await;
        assert!(playing, "both play");
        assert!((a - b).abs() < 0.1, "in {a:.3} s, out {b:.3} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each leg's gain (its volume as heard).
async fn gains(c: &Client) -> [f64; 2] {
    let v = js(c, "const t = document.getElementById('together').together; return [t.legs.in.gain.gain.value, t.legs.out.gain.gain.value]").await;
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

/// Both legs paused at `t`.
async fn at_rest(c: &Client, t: f64) {
    let (a, b, playing, _, _) = times(c).await;
    assert!(!playing, "paused");
    assert!(
        (a - t).abs() < 0.01 && (b - t).abs() < 0.01,
        "in {a}, out {b}, not {t}"
    );
}

async fn key(c: &Client, css: &str, k: Key) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(&char::from(k).to_string())
        .await
        .unwrap();
}

async fn play_from_start(c: &Client) {
    js(
        c,
        "document.getElementById('together').together.seek(0); return true",
    )
    .await;
    if js(
        c,
        "return document.getElementById('together').together.playing",
    )
    .await
        != json!(true)
    {
        click(c, "#play-both").await;
    }
}

async fn listen(c: &Client, server: &Server, id: &str) {
    browser_login(c, server, "sue", &format!("/recordings/{id}")).await;
    expect(c, "#together").await;
    // A split recording opens on both legs together; the single player
    // waits hidden, and nothing is fetched (or entered) before a play.
    assert_eq!(
        js(c, "return [document.getElementById('player').hidden, document.getElementById('together').hidden, document.querySelector('input[name=leg]:checked').value]").await,
        json!([true, false, "together"])
    );
    // Every control is a real one with a label.
    let labels = js(c, "return ['position', 'volume-in', 'volume-out'].map(i => document.getElementById(i).labels[0].textContent.trim())").await;
    assert_eq!(
        labels,
        json!([
            "Position",
            "Volume of what was said (in)",
            "Volume of what was heard (out)"
        ])
    );
    wait_js(c, "return document.body.dataset.wavein === 'ready' && document.body.dataset.waveout === 'ready'", "both waveforms").await;
    assert_eq!(times(c).await.3, 0, "nothing decoded before a play");

    // One button plays both; each leg reaches the output with its own tone.
    click(c, "#play-both").await;
    let heard = tones(c, 2800).await;
    let (a, b, playing, bytes_in, bytes_out) = times(c).await;
    assert!(playing && a > 1.5 && b > 1.5, "in {a} s, out {b} s");
    assert!(bytes_in > 0 && bytes_out > 0, "{bytes_in} {bytes_out}");
    assert!(
        db(&heard, "in", "320") > db(&heard, "in", "560") + 20.0 && db(&heard, "in", "320") > -70.0,
        "in: {heard}"
    );
    assert!(
        db(&heard, "out", "560") > db(&heard, "out", "320") + 20.0
            && db(&heard, "out", "560") > -70.0,
        "out: {heard}"
    );
    let (_, _, _, later_in, later_out) = times(c).await;
    assert!(later_in >= bytes_in && later_out >= bytes_out);

    // Seek by a mark's button (the mask at 3.0 s) while playing: the legs
    // move together and stay within 0.1 s.
    click(c, ".mark-mask button.seek").await;
    in_step(c, 3.0, 3.9).await;
    assert_eq!(
        js(c, "return document.activeElement.id").await,
        json!("play-both")
    );
    // Space on the position pauses both; ← on the play button goes 5 s
    // back (to the start), → on the position 5 s on; space plays again.
    key(c, "#position", Key::Space).await;
    wait_js(c, "return document.getElementById('leg-in').paused && document.getElementById('leg-out').paused", "the pause").await;
    key(c, "#play-both", Key::Left).await;
    at_rest(c, 0.0).await;
    key(c, "#position", Key::Right).await;
    at_rest(c, 5.0).await;
    key(c, "#position", Key::Space).await;
    in_step(c, 5.0, 6.0).await;

    // Each volume changes its own leg only (Home: silent, End: full).
    key(c, "#volume-in", Key::Home).await;
    assert_eq!(gains(c).await, [0.0, 1.0]);
    play_from_start(c).await;
    let heard = tones(c, 2800).await;
    assert!(db(&heard, "in", "320") < -120.0, "in silenced: {heard}");
    assert!(db(&heard, "out", "560") > -70.0, "out still heard: {heard}");
    key(c, "#volume-in", Key::End).await;
    key(c, "#volume-out", Key::Home).await;
    assert_eq!(gains(c).await, [1.0, 0.0]);
    play_from_start(c).await;
    let heard = tones(c, 2800).await;
    assert!(db(&heard, "in", "320") > -70.0, "in heard again: {heard}");
    assert!(db(&heard, "out", "560") < -120.0, "out silenced: {heard}");
    click(c, "#play-both").await;

    // `together` is for the in and out legs heard, not for a download or
    // the stereo file (refused before the trail).
    let audio = format!("/api/recordings/{id}/audio");
    assert_eq!(
        status_of(c, &format!("{audio}/in?together=1&download=1")).await,
        400
    );
    assert_eq!(
        status_of(c, &format!("{audio}/stereo?together=1")).await,
        400
    );

    // The page's trail: sue played both legs, once.
    c.refresh().await.unwrap();
    expect(c, "#access").await;
    let access = text(c, "#access").await;
    assert_eq!(access.matches("played").count(), 1, "{access}");
    assert!(
        access.contains("sue") && access.contains("played in+out"),
        "{access}"
    );
}
