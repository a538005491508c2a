// Regenerates schema/rampart.schema.json from the zod schema: `npm run schema`.
import { writeFileSync } from 'node:fs';
import { policyJsonSchemaText } from '../src/policy/json-schema.ts';

writeFileSync(new URL('../schema/rampart.schema.json', import.meta.url), policyJsonSchemaText());
