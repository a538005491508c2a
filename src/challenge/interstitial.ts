/**
 * The page a navigating browser gets instead of the JSON challenge: self-contained (inline script and
 * style, no external resources), it solves the challenge in a Web Worker (in the page when workers are
 * unavailable), puts the solution in the `rampart_solution` cookie and reloads the page; the reload
 * carries the solution, earns a pass cookie, and reaches the site. Without JavaScript it explains why
 * the page cannot continue. It never says why the client was challenged.
 */
import type { ChallengeOffer } from './altcha.ts';
import { IN_THREAD_UP_TO, SOLVER_SOURCE } from './sha256-solver.ts';

/** JSON safe inside an inline `<script>`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// The runner: a worker from the solver's own source when possible, else the solver in the page.
const RUNNER = `
(function () {
  var c = JSON.parse(document.getElementById('rampart-challenge').textContent);
  var status = document.getElementById('status');
  status.textContent = 'This takes a moment. The page continues by itself.';
  var t0 = Date.now();
  function done(n) {
    if (n < 0) { status.textContent = 'Verification failed. Reload the page to try again.'; return; }
    var payload = btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature, took: Date.now() - t0 }));
    document.cookie = 'rampart_solution=' + payload + '; Path=/; Max-Age=' + c.ttl + '; SameSite=Lax';
    if (c.reload) { status.textContent = 'Verified. Loading…'; location.reload(); }
    else status.textContent = 'Verified. Go back and submit the form again.';
    document.documentElement.setAttribute('data-rampart', 'solved');
  }
  function here() { document.documentElement.setAttribute('data-rampart-solver', 'page'); setTimeout(function () { done(rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1)); }, 0); }
  // Cheap challenges are solved in the page: a few milliseconds, less than starting a worker.
  if (c.maxnumber <= ${IN_THREAD_UP_TO} || typeof Worker !== 'function') return here();
  try {
    var src = document.getElementById('rampart-solver').textContent + '\\nonmessage = function (e) { var d = e.data; postMessage(rampartSolve(d.challenge, d.salt, d.maxnumber, 0, 1)); };';
    var w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    w.onmessage = function (e) { w.terminate(); document.documentElement.setAttribute('data-rampart-solver', 'worker'); done(e.data); };
    w.onerror = function (e) { e.preventDefault(); w.terminate(); here(); };
    w.postMessage(c);
  } catch (e) {
    here();
  }
})();`;

/**
 * The interstitial page for one challenge. `reload` is true for GET and HEAD (the page reloads itself
 * once solved); for other methods the form cannot be resent, so the page asks the user to resubmit.
 *
 * @example
 * const html = interstitialPage(decision.challenge, true, 300);
 */
export function interstitialPage(offer: ChallengeOffer, reload: boolean, ttlSeconds: number): string {
  const data = { ...offer.challenge, reload, ttl: ttlSeconds };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Checking your browser</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:15vh auto;padding:0 1em;color:#222}h1{font-size:1.3em}#status{color:#555}</style>
</head><body>
<h1>Checking your browser</h1>
<p id="status"></p>
<noscript><p>This site asks your browser to solve a small computation before it continues, which stops automated traffic. It needs JavaScript: turn JavaScript on for this site and reload the page.</p></noscript>
<script type="application/json" id="rampart-challenge">${scriptJson(data)}</script>
<script id="rampart-solver">${SOLVER_SOURCE}</script>
<script>${RUNNER}</script>
</body></html>
`;
}
