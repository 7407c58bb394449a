// Times: each <time> shows how long ago something happened (or, in the
// audit log, the time in UTC), and its title gives the exact time in UTC.
// Where scripts run, this adds the exact time in the viewer's own time zone
// to that title, first: "30 Nov 2026, 18:39 CET (30 Nov 2026 17:39 UTC)".
// A progressive enhancement: without it the title stays UTC. The page's
// text is not touched, so what the server rendered (and what tests and
// screen readers read) stays as it was.
(function () {
  'use strict';
  if (!window.Intl || !Intl.DateTimeFormat) {
    return;
  }
  var local;
  try {
    // Not dateStyle and timeStyle: they cannot be combined with the zone's
    // name, which the title must say.
    local = new Intl.DateTimeFormat(undefined, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
      timeZoneName: 'short'
    });
  } catch (e) {
    return; // keep UTC
  }
  var zone = local.resolvedOptions().timeZone;
  if (zone === 'UTC' || zone === 'Etc/UTC' || zone === 'Etc/GMT') {
    return; // the viewer's time is UTC: the title says it already
  }
  function localize(root) {
    var times = root.querySelectorAll('time[datetime][title]');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      if (t.hasAttribute('data-local')) {
        continue;
      }
      var when = new Date(t.getAttribute('datetime'));
      if (isNaN(when.getTime())) {
        continue;
      }
      t.setAttribute('data-local', '');
      t.title = local.format(when) + ' (' + t.title + ')';
    }
  }
  localize(document);
  // Parts of a page swapped in later (the catalog's live search) are
  // localized as they arrive.
  if (window.MutationObserver) {
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        if (records[i].addedNodes.length) {
          localize(document);
          return;
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }
})();
