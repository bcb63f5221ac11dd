// The page's half of the engine driver: asks the test server for script to
// run, runs it as the body of an async function, and posts back what it
// returns. The same in every engine, with nothing but fetch().
'use strict';

(() => {
  const uncaught = [];
  window.addEventListener('error', (e) => uncaught.push(String(e.message)));
  window.addEventListener('unhandledrejection', (e) => uncaught.push('unhandled rejection: ' + String(e.reason)));

  const AsyncFunction = (async () => {}).constructor;

  // serve asks for job after job; each runs on its own, so that one that
  // never settles (a test that timed out) does not hold up the next.
  async function serve() {
    for (;;) {
      let job;
      try {
        const r = await fetch('/ctl/next', { cache: 'no-store' });
        if (r.status !== 200) continue;
        job = await r.json();
      } catch (e) {
        await new Promise((resolve) => setTimeout(resolve, 200)); // the server is gone or restarting
        continue;
      }
      run(job);
    }
  }

  async function run(job) {
    const res = { id: job.id };
    try {
      res.value = await new AsyncFunction(job.code)();
      res.ok = true;
    } catch (e) {
      res.error = String((e && e.stack) || e);
    }
    res.errors = uncaught.splice(0);
    await fetch('/ctl/result', { method: 'POST', body: JSON.stringify(res) }).catch(() => {});
  }

  // Jobs begin once the page has loaded, so that they may use what the
  // page's later scripts define.
  if (document.readyState === 'complete') serve();
  else window.addEventListener('load', serve);
})();
