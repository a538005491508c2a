/**
 * How the CLI shows a policy that cannot be used: one line per problem, `<file>: <path>: <message>`,
 * so editors and CI annotate the right place and `grep` finds a rule's problems.
 */
import { isRampartError } from '../errors.ts';

/**
 * The lines for an error that lists config issues, or null for any other error (the caller prints
 * its message instead).
 *
 * @example
 * configErrorLines('rampart.yaml', err)
 * // ['rampart.yaml: rules[0].limit.rate: expected a rate like 5/min, 100/hour, 10/s or 20/10s (found "5/fortnight")']
 */
export function configErrorLines(file: string, err: unknown): string[] | null {
  if (!isRampartError(err) || err.issues.length === 0) return null;
  return err.issues.map((issue) => `${file}: ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
}
