import { onEventRecorded } from '../chronology/after-record.js';
import { runRulesFor } from './run-rules.js';

// Rules run on each new chronology entry, for the children it involves, once it has committed.
// A correction is a new entry too: the rules see the corrected chronology, and the superseded
// entry no longer counts as evidence.
onEventRecorded(async (db, event) => {
  await runRulesFor(db, event.personIds, { via: 'event' });
});
