// Both legs of a split recording played at once, as one: one transport
// (play, pause and seek move both), the `out` leg kept on the `in` leg's
// time, a volume and a level meter per leg.  Each leg is its own <audio>
// element fetched by ranges with together=1, which the access trail
// enters once as one play of `in+out`.  Their sound goes through Web
// Audio, a gain (the leg's volume) and an analyser (its meter) each.
(function () {
  'use strict';
  var NAMES = ['in', 'out'];
  var STEP = 5; // seconds the arrow keys and the buttons move
  var SNAP = 0.25; // drift past which the follower jumps to the leader
  var CLOSE = 0.02; // drift under which it plays at the normal rate

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }

  function Together(root, duration) {
    var self = this;
    this.root = root;
    this.duration = duration;
    this.legs = {};
    NAMES.forEach(function (name) {
      var leg = {
        audio: root.querySelector('#leg-' + name),
        volume: root.querySelector('#volume-' + name),
        meter: root.querySelector('#level-' + name)
      };
      self.legs[name] = leg;
      leg.volume.addEventListener('input', function () { self.setVolume(name); });
      // A seek nobody here asked for (a click on the leg's waveform)
      // moves both.
      leg.audio.addEventListener('seeking', function () {
        if (Math.abs(leg.audio.currentTime - leg.expected) > 0.05) {
          self.seek(leg.audio.currentTime);
        }
      });
      leg.audio.addEventListener('ended', function () { self.pause(); });
      leg.audio.addEventListener('error', function () { self.fail(name); });
      leg.expected = 0;
      self.setVolume(name);
    });
    this.lead = this.legs['in'];
    this.follower = this.legs.out;
    this.button = root.querySelector('#play-both');
    this.position = root.querySelector('#position');
    this.clock = root.querySelector('#clock');
    this.playing = false;
    this.button.addEventListener('click', function () { self.toggle(); });
    root.querySelector('#back-both').addEventListener('click', function () { self.skip(-STEP); });
    root.querySelector('#ahead-both').addEventListener('click', function () { self.skip(STEP); });
    this.position.addEventListener('input', function () { self.seek(parseFloat(self.position.value)); });
    this.position.addEventListener('pointerdown', function () { self.dragging = true; });
    this.position.addEventListener('pointerup', function () { self.dragging = false; });
    root.addEventListener('keydown', function (e) { self.key(e); });
    this.render();
  }

  // Created at the first play (a user's gesture lets the context start).
  Together.prototype.graph = function () {
    if (this.context !== undefined) { return; }
    var Context = window.AudioContext || window.webkitAudioContext;
    this.context = Context ? new Context() : null;
    var self = this;
    NAMES.forEach(function (name) {
      var leg = self.legs[name];
      if (!self.context) { return; }
      leg.gain = self.context.createGain();
      leg.analyser = self.context.createAnalyser();
      leg.analyser.fftSize = 2048;
      self.context.createMediaElementSource(leg.audio).connect(leg.gain);
      leg.gain.connect(leg.analyser);
      leg.analyser.connect(self.context.destination);
      self.setVolume(name);
    });
  };

  Together.prototype.setVolume = function (name) {
    var leg = this.legs[name];
    var v = clamp(parseFloat(leg.volume.value), 0, 1);
    if (leg.gain) { leg.gain.gain.value = v; } else { leg.audio.volume = v; }
    leg.volume.setAttribute('aria-valuetext', Math.round(v * 100) + ' %');
  };

  Together.prototype.time = function () { return this.lead.audio.currentTime; };

  Together.prototype.setTime = function (leg, t) {
    leg.expected = t;
    leg.audio.currentTime = t;
  };

  Together.prototype.seek = function (t) {
    t = clamp(t || 0, 0, this.duration);
    this.setTime(this.lead, t);
    this.setTime(this.follower, t);
    this.render();
  };

  Together.prototype.skip = function (by) { this.seek(this.time() + by); };

  Together.prototype.play = function () {
    var self = this;
    this.graph();
    if (this.context && this.context.state === 'suspended') { this.context.resume(); }
    if (this.time() >= this.duration - 0.05) { this.seek(0); }
    this.setTime(this.follower, this.time());
    this.playing = true;
    Promise.all([this.lead.audio.play(), this.follower.audio.play()]).catch(function (e) {
      if (e.name !== 'AbortError') { self.fail(e.message); }
    });
    clearInterval(this.timer);
    this.timer = setInterval(function () { self.tick(); }, 100);
    this.render();
  };

  Together.prototype.pause = function () {
    this.playing = false;
    clearInterval(this.timer);
    this.lead.audio.pause();
    this.follower.audio.pause();
    this.follower.audio.playbackRate = 1;
    this.setTime(this.follower, this.time());
    this.render();
  };

  Together.prototype.toggle = function () {
    if (this.playing) { this.pause(); } else { this.play(); }
  };

  // While one leg waits for data the other waits for it (paused here),
  // then both go on; the follower is kept on the leader's time, a small
  // drift by its rate, a large one (a seek) by a jump.
  Together.prototype.tick = function () {
    var lead = this.lead.audio;
    var follower = this.follower.audio;
    if (this.playing) { this.wait(lead, follower); this.wait(follower, lead); }
    if (!lead.seeking && !follower.seeking && !lead.paused && !follower.paused) {
      var drift = follower.currentTime - lead.currentTime;
      if (Math.abs(drift) > SNAP) {
        this.setTime(this.follower, lead.currentTime);
      } else if (Math.abs(drift) > CLOSE) {
        follower.playbackRate = 1 - clamp(drift, -0.1, 0.1);
      } else {
        follower.playbackRate = 1;
      }
    }
    this.render();
  };

  Together.prototype.wait = function (audio, other) {
    var ready = audio.readyState >= 3;
    var otherReady = other.readyState >= 3;
    if (audio.ended) { return; }
    if (ready && !otherReady) {
      audio.pause();
    } else if (audio.paused) {
      audio.play().catch(function () {});
    }
  };

  // The level of each leg as heard (after its volume), 0 at -60 dBFS.
  Together.prototype.levels = function () {
    var self = this;
    NAMES.forEach(function (name) {
      var leg = self.legs[name];
      if (!leg.analyser) { return; }
      var buf = new Float32Array(leg.analyser.fftSize);
      leg.analyser.getFloatTimeDomainData(buf);
      var sum = 0;
      for (var i = 0; i < buf.length; i++) { sum += buf[i] * buf[i]; }
      var rms = Math.sqrt(sum / buf.length);
      leg.meter.value = rms > 0 ? clamp(1 + Math.log10(rms) / 3, 0, 1) : 0;
    });
  };

  Together.prototype.render = function () {
    var t = this.time();
    var words = t.toFixed(1) + ' s of ' + this.duration.toFixed(1) + ' s';
    this.clock.textContent = words;
    if (!this.dragging) { this.position.value = t; }
    this.position.setAttribute('aria-valuetext', words);
    this.button.textContent = this.playing ? 'Pause' : 'Play';
    this.root.dataset.playing = this.playing ? 'yes' : 'no';
    this.levels();
  };

  // Space plays or pauses and the arrows move 5 s from any control of the
  // player but a volume (whose arrows are its own); on a button, space is
  // the button's.
  Together.prototype.key = function (e) {
    var target = e.target;
    var volume = target.id && target.id.indexOf('volume-') === 0;
    if (e.key === ' ' && target.tagName !== 'BUTTON') {
      e.preventDefault();
      this.toggle();
    } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !volume) {
      e.preventDefault();
      this.skip(e.key === 'ArrowLeft' ? -STEP : STEP);
    }
  };

  Together.prototype.fail = function (why) {
    this.pause();
    var p = this.root.querySelector('.error') || document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = 'Both legs together: ' + why + ' could not be played.';
    this.root.prepend(p);
  };

  window.LegrecTogether = Together;
})();
