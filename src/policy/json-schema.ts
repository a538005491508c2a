/**
 * The JSON Schema of the policy file, generated from the zod schema so the two never drift.
 * Committed as `schema/rampart.schema.json` (`npm run schema`); a test checks it is up to date.
 */
import { z } from 'zod';
import { policySchema } from './schema.ts';

/** The schema as an object (draft 2020-12), describing the file as written (defaults optional). */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://rampart.dev/schema/rampart.schema.json' };
}

/** The schema as the committed file's text. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
