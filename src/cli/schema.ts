/**
 * `rampart schema`: the policy file's JSON Schema on stdout, the same text as the shipped
 * `schema/rampart.schema.json`, for editors and validators that want it from the installed version.
 */
import { policyJsonSchemaText } from '../policy/json-schema.ts';
import { ExitCode, parseCommandArgs } from './args.ts';
import type { Command } from './args.ts';

/**
 * Writes the schema (JSON Schema draft 2020-12) to stdout.
 *
 * @example
 * // rampart schema > rampart.schema.json
 */
export const schemaCommand: Command = async (args, io) => {
  parseCommandArgs('schema', args, {}, 0);
  io.stdout.write(policyJsonSchemaText());
  return ExitCode.OK;
};
