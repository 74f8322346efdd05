// wirecagesrv web console: live numbers and sparklines for the dashboard. Polls /api/state every 2 s;
// the page and all its forms work without this script.
(function () {
  'use strict';
  var table = document.getElementById('peers');
  if (!table) { return; }
  var windowSelect = document.getElementById('window');
  var updated = document.getElementById('updated');
  var series = {}; // key -> {rx: [], tx: []}
  var polls = 0;

  function bytes(n) {
    if (n < 1024) { return n + ' B'; }
    var u = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'], i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(1) + ' ' + u[i];
  }
  function ago(s) {
    if (s === null) { return 'never'; }
    return s < 120 ? s + ' s ago' : s < 7200 ? Math.floor(s / 60) + ' min ago' : Math.floor(s / 3600) + ' h ago';
  }
  var statusText = { online: '\u25cf online', offline: '\u25cb offline', disabled: '\u2298 disabled' };

  function path(values, max) {
    if (!values.length) { return ''; }
    var step = 120 / Math.max(values.length - 1, 1), d = '';
    for (var i = 0; i < values.length; i++) {
      var y = 29 - (max > 0 ? values[i] / max * 27 : 0);
      d += (i ? 'L' : 'M') + (i * step).toFixed(1) + ' ' + y.toFixed(1);
    }
    return d;
  }

  function draw(row, s) {
    var max = 0, all = s.rx.concat(s.tx);
    for (var i = 0; i < all.length; i++) { if (all[i] > max) { max = all[i]; } }
    var paths = row.querySelectorAll('svg.spark path');
    paths[0].setAttribute('d', path(s.rx, max));
    paths[1].setAttribute('d', path(s.tx, max));
  }

  function setText(row, cls, text) {
    var el = row.querySelector('.' + cls);
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function update(state, withSeries) {
    var rows = table.querySelectorAll('tbody tr[data-key]');
    var byKey = {};
    state.peers.forEach(function (p) { byKey[p.key] = p; });
    rows.forEach(function (row) {
      var p = byKey[row.getAttribute('data-key')];
      if (!p) { return; }
      var st = row.querySelector('.status');
      st.className = 'status ' + p.status;
      setText(row, 'status', statusText[p.status]);
      setText(row, 'endpoint', p.endpoint || '\u2013');
      setText(row, 'hs', ago(p.handshakeAgoSeconds));
      setText(row, 'rx', bytes(p.rx));
      row.querySelector('.rx').setAttribute('data-bytes', p.rx);
      setText(row, 'tx', bytes(p.tx));
      row.querySelector('.tx').setAttribute('data-bytes', p.tx);
      setText(row, 'now', bytes(p.rxRate) + '/s in, ' + bytes(p.txRate) + '/s out');
      setText(row, 'expires', p.expires || 'never');
      var s;
      if (withSeries) {
        s = series[p.key] = { rx: p.rxSeries, tx: p.txSeries };
      } else {
        s = series[p.key] || (series[p.key] = { rx: [], tx: [] });
        if (windowSelect.value === 'short') {
          s.rx.push(p.rxRate); s.tx.push(p.txRate);
          if (s.rx.length > 60) { s.rx.shift(); s.tx.shift(); }
        }
      }
      draw(row, s);
    });
    var srv = state.server;
    document.getElementById('srv-rx').textContent = bytes(srv.rxBytes);
    document.getElementById('srv-tx').textContent = bytes(srv.txBytes);
    document.getElementById('srv-dropped').textContent = String(srv.dropped);
    document.getElementById('srv-online').textContent = srv.online + ' of ' + srv.peers;
    updated.textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  function poll() {
    // the whole history on the first poll, on a change of window, and every 30 s for the hour view
    var withSeries = polls === 0 || (windowSelect.value === 'hour' && polls % 15 === 0);
    polls++;
    var url = '/api/state' + (withSeries ? '?series=' + windowSelect.value : '');
    fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.status === 401) { location.href = '/login'; return null; }
      return r.ok ? r.json() : null;
    }).then(function (state) {
      if (state) { update(state, withSeries); }
    }).catch(function () { updated.textContent = 'connection lost, retrying'; })
      .then(function () { setTimeout(poll, 2000); });
  }

  windowSelect.addEventListener('change', function () { polls = 0; });
  poll();
})();
