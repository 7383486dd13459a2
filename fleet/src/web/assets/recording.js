// The recording page: both legs' waveforms, one above the other on the one
// timeline of the page's <audio> element (which plays the stereo file or
// one leg, by HTTP ranges), or of both legs played together (together.js),
// with the sidecar's marks as regions.  The waveforms come as peaks
// computed by the server, so nothing downloads or decodes the whole call
// first.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('recording-data').textContent);
  var audio = document.getElementById('player');
  var box = document.getElementById('together');
  var together = box ? new window.LegrecTogether(box, data.duration) : null;
  // The page's player, for scripts (and tests) that look at it.
  if (box) { box.together = together; }
  var lanes = {};

  function playingTogether() { return together !== null && !box.hidden; }

  // The element a leg's lane follows.
  function mediaOf(leg) { return playingTogether() ? together.legs[leg].audio : audio; }
  var colors = {
    notice: 'rgba(0, 110, 230, 0.30)',
    consent: 'rgba(0, 150, 60, 0.30)',
    mask: 'rgba(90, 90, 90, 0.35)',
    pause: 'rgba(200, 0, 0, 0.70)',
    beep: 'rgba(230, 130, 0, 0.70)',
    peer: 'rgba(130, 0, 200, 0.12)',
    key: 'rgba(0, 0, 0, 0.60)'
  };

  function fetchPeaks(leg) {
    return fetch(data.peaks + leg, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) { throw new Error('waveform ' + leg + ': HTTP ' + r.status); }
      return r.json();
    });
  }

  function lane(leg, peaks, timeline) {
    var regions = WaveSurfer.Regions.create();
    var plugins = [regions];
    if (timeline) { plugins.push(WaveSurfer.Timeline.create({ container: '#timeline' })); }
    var ws = WaveSurfer.create({
      container: '#wave-' + leg,
      media: mediaOf(leg),
      peaks: [peaks.peaks],
      duration: data.duration || peaks.duration,
      height: 72,
      normalize: true,
      waveColor: leg === 'in' ? '#2f6fb5' : '#b5642f',
      progressColor: leg === 'in' ? '#173d66' : '#66361a',
      cursorColor: '#111',
      plugins: plugins
    });
    ws.on('ready', function () {
      data.marks.forEach(function (m) {
        if (m.lane !== leg && m.lane !== 'both') { return; }
        regions.addRegion({
          start: m.start,
          end: m.end > m.start ? m.end : undefined,
          content: m.short,
          color: colors[m.kind] || 'rgba(0,0,0,0.2)',
          drag: false,
          resize: false
        });
      });
      document.body.dataset['wave' + leg] = 'ready';
    });
    return ws;
  }

  Promise.all(['in', 'out'].map(fetchPeaks)).then(function (all) {
    lanes['in'] = lane('in', all[0], false);
    lanes.out = lane('out', all[1], true);
  }).catch(function (e) {
    var p = document.createElement('p');
    p.className = 'error';
    p.textContent = e.message;
    document.querySelector('.player').prepend(p);
  });

  function followedBy(leg) {
    if (lanes[leg]) { lanes[leg].setMediaElement(mediaOf(leg)); }
  }

  // Another choice keeps the position and whether it was playing.
  document.querySelectorAll('input[name=leg]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      var was = playingTogether();
      var at = was ? together.time() : audio.currentTime;
      var playing = was ? together.playing : !audio.paused;
      if (was) { together.pause(); } else { audio.pause(); }
      if (box) { box.hidden = radio.value !== 'together'; }
      audio.hidden = radio.value === 'together';
      ['in', 'out'].forEach(followedBy);
      if (radio.value === 'together') {
        together.seek(at);
        if (playing) { together.play(); }
        return;
      }
      audio.src = data.audio + radio.value;
      audio.addEventListener('loadedmetadata', function () {
        audio.currentTime = at;
        if (playing) { audio.play(); }
      }, { once: true });
    });
  });

  document.querySelectorAll('button.seek').forEach(function (b) {
    b.addEventListener('click', function () {
      var at = parseFloat(b.dataset.at);
      if (playingTogether()) {
        together.seek(at);
        document.getElementById('play-both').focus();
      } else {
        audio.currentTime = at;
        audio.focus();
      }
    });
  });
})();
