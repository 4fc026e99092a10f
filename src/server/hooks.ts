// Side effects that follow a committed write register here, so the server and the CLI
// (imports, seeding) react to new chronology entries in the same way. Import this module
// once at start-up; each line below registers one area's listeners.
import './modules/considerations/considerations.hooks.js';
export {};
