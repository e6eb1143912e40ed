// Progress of an export, without reloading the page: while the export is
// being written, fetch this page every few seconds and take over its
// status and download parts. The status region is a polite live region,
// so screen readers hear the progress without losing their place; the
// page works without this script (the link shows the progress on demand).
(function () {
  'use strict';
  function poll() {
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['export-state', 'export-status', 'export-download'].forEach(function (id) {
          var fresh = doc.getElementById(id), here = document.getElementById(id);
          if (fresh && here) {
            here.innerHTML = fresh.innerHTML;
            if (fresh.hasAttribute('data-working')) here.setAttribute('data-working', '');
            else here.removeAttribute('data-working');
          }
        });
        var status = document.getElementById('export-status');
        if (status && status.hasAttribute('data-working')) window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
