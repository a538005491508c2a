/**
 * `rampart help`, `rampart --help`, and `rampart` alone: the usage text.
 */
import { ExitCode, parseCommandArgs } from './args.ts';
import type { Command } from './args.ts';

/** The text `rampart help` prints; docs/cli.md shows it too. */
export const USAGE = `Usage: rampart <command> [options]

Rampart protects an HTTP API against automated abuse: a reverse proxy that
applies the rules of a policy file to every request.

Commands:
  start --config <file>  Run the gateway in front of the upstream named in the
                         file's \`gateway\` section. SIGHUP or a change to the
                         file reloads the policy; SIGTERM or SIGINT shut down
                         gracefully (a second signal exits at once).
  check <config>         Validate a policy file; print every problem with its
                         path as <file>: <path>: <message>.
  replay --config <file> --input <log>
                         Decide every request of a recorded log (the
                         decision log, or nginx; .gz too) as the policy
                         would, enforcing it, at full speed: one JSON line
                         per record on --output (default stdout).
                         --format jsonl|nginx|auto, --summary (counts on
                         stderr), --labels <file> (precision and recall).
  intel lookup <ip>      What IP intelligence says about an address: categories,
                         ASN, organisation, country, and which source said so.
                         --config <file> (the policy's intel; default: the
                         installed ASN table and the hosting list), --json.
  intel stats            Each intel source's size, age and last refresh.
                         --config <file>, --refresh (fetch URL sources now).
  schema                 Print the JSON Schema of the policy file.
  version                Print the version.
  help                   Print this text.

Options:
  -c, --config <file>    The policy file (start, check, replay, intel).
  -h, --help             Print this text.
      --version          Print the version.

Exit codes:
  0  success
  1  failure: invalid or unreadable config or input, port in use, forced
     shutdown
  2  usage error: unknown command or flag, missing argument

Environment:
  \${NAME} and \${NAME:-default} in the policy file come from the environment.
  RAMPART_DEBUG=1        Print the stack trace of an error.

Documentation: docs/cli.md (this tool), docs/config.md (the policy file).
`;

/**
 * Prints {@link USAGE} to stdout.
 *
 * @example
 * // rampart help
 */
export const helpCommand: Command = async (args, io) => {
  parseCommandArgs('help', args, {}, 0);
  io.stdout.write(USAGE);
  return ExitCode.OK;
};
