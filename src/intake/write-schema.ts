/** Writes docs/formats/interchange-v1.schema.json from the validator: `npx tsx src/intake/write-schema.ts`. */
import { writeFileSync } from 'node:fs';
import { interchangeJsonSchema } from './interchange.js';

const target = new URL('../../docs/formats/interchange-v1.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(interchangeJsonSchema(), null, 2)}\n`);
console.log(`Wrote ${target.pathname}`);
