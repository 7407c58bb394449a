// Catalog: apply the search and the filters as they change, without a
// click. A progressive enhancement: without it the form is a plain GET form
// whose button does the same. The results are fetched as the page they
// would load (same URL, same server rendering) and swapped in, so the
// search box keeps its focus and what is typed meanwhile; the address bar
// follows, so the result can be bookmarked or shared. Anything unexpected
// (a network error, a page without results, such as the sign-in page)
// falls back to submitting the form.
(function () {
  'use strict';
  var form = document.querySelector('form[data-live="catalog"]');
  var results = document.getElementById('results');
  var count = document.getElementById('result-count');
  if (!form || !results || !count || !window.fetch || !window.DOMParser || !window.URLSearchParams) {
    return;
  }
  var timer = 0;
  var latest = 0; // the newest search sent: an older answer arriving late is dropped

  // target is the form's URL as the browser would build it, without empty
  // fields, as the server writes its own links.
  function target() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string' && value.trim() !== '') {
        params.append(name, value);
      }
    });
    var query = params.toString();
    return form.getAttribute('action') + (query ? '?' + query : '');
  }

  function apply() {
    clearTimeout(timer);
    var url = target();
    var mine = ++latest;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error('status ' + res.status);
        }
        return res.text();
      })
      .then(function (html) {
        if (mine !== latest) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('results');
        var freshCount = doc.getElementById('result-count');
        if (!fresh || !freshCount) {
          throw new Error('no results in the answer');
        }
        results.replaceWith(fresh);
        results = fresh;
        // The count is a live region: changing its text (rather than
        // replacing it) is what screen readers announce.
        count.textContent = freshCount.textContent;
        if (window.location.pathname + window.location.search !== url) {
          history.replaceState(null, '', url);
        }
      })
      .catch(function () {
        if (mine === latest) {
          form.submit();
        }
      });
  }

  form.addEventListener('input', function (e) {
    if (e.target && e.target.type === 'search') {
      clearTimeout(timer);
      timer = setTimeout(apply, 300);
    }
  });
  form.addEventListener('change', function (e) {
    if (e.target && e.target.tagName === 'SELECT') {
      apply();
    }
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    apply();
  });
})();
