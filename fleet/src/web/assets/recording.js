// The recording page: both legs' waveforms, one above the other on the one
// timeline of the page's <audio> element (which plays the stereo file or
// one leg, by HTTP ranges), with the sidecar's marks as regions.  The
// waveforms come as peaks computed by the server, so nothing downloads or
// decodes the whole call first.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('recording-data').textContent);
  var audio = document.getElementById('player');
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
      media: audio,
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

  var lanes = ['in', 'out'];
  Promise.all(lanes.map(fetchPeaks)).then(function (all) {
    lane('in', all[0], false);
    lane('out', all[1], true);
  }).catch(function (e) {
    var p = document.createElement('p');
    p.className = 'error';
    p.textContent = e.message;
    document.querySelector('.player').prepend(p);
  });

  // Another leg keeps the position and whether it was playing.
  document.querySelectorAll('input[name=leg]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      var at = audio.currentTime;
      var playing = !audio.paused;
      audio.src = data.audio + radio.value;
      audio.addEventListener('loadedmetadata', function () {
        audio.currentTime = at;
        if (playing) { audio.play(); }
      }, { once: true });
    });
  });

  document.querySelectorAll('button.seek').forEach(function (b) {
    b.addEventListener('click', function () {
      audio.currentTime = parseFloat(b.dataset.at);
      audio.focus();
    });
  });
})();
