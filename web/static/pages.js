// Cirqll settings pages: progressive enhancement only. The pages work
// without this file; with it, "Copy" buttons appear next to the client ID
// and secret. Loaded as an external file: the CSP allows no inline script.
(function () {
  'use strict';

  function announce(btn, text) {
    var out = document.getElementById(btn.getAttribute('data-status') || '');
    if (!out) { return; }
    out.textContent = '';
    // A fresh text node after a tick makes screen readers announce it again.
    window.setTimeout(function () { out.textContent = text; }, 30);
  }

  function copyBySelection(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch (e) {
      return false;
    }
  }

  function setUp(btn) {
    var input = document.getElementById(btn.getAttribute('data-copy'));
    if (!input) { return; }
    btn.hidden = false;
    btn.addEventListener('click', function () {
      var done = function () { announce(btn, btn.getAttribute('data-copied')); btn.focus(); };
      var fallback = function () {
        if (copyBySelection(input)) { done(); } else { announce(btn, btn.getAttribute('data-failed')); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  }

  var buttons = document.querySelectorAll('button[data-copy]');
  for (var i = 0; i < buttons.length; i++) { setUp(buttons[i]); }
})();
