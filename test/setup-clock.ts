/**
 * Fails the run when a timer is set further ahead than Node can wait (about 24.8 days): Node fires it
 * at once instead. The embedded database arms its timers by the application's clock, so a test that
 * takes a faked clock back by more than that leaves PGlite firing a timer every millisecond for the
 * rest of its file, quietly using a core and flooding the output. Move the clock forward only (start
 * it in the past), as sign-in-limits.test.ts does.
 */
let reported = false;
process.on('warning', (warning) => {
  if (warning.name === 'TimeoutOverflowWarning' && !reported) {
    reported = true;
    throw new Error(`A timer was set beyond what Node can wait, so it fires at once (${warning.message}). Was a faked clock taken back by more than 24 days?`);
  }
});
