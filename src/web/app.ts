// Progressive enhancement only: every page works without this script.
import { initAll } from 'govuk-frontend';

initAll();

// A "Print" button where a page offers one (the intelligence bulletin): shown only when scripts run.
document.querySelectorAll<HTMLButtonElement>('[data-app-print]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
