#!/usr/bin/env node
// The `rampart` command. In a clone the TypeScript sources run directly (Node >= 22.18 strips the
// types), so the command never runs a stale build; an installed package has no src/ and runs the
// compiled dist/ instead, because Node refuses to strip types under node_modules.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
const canStripTypes = Boolean(process.features.typescript);
const entry = existsSync(source) && (canStripTypes || !existsSync(compiled)) ? source : compiled;
if (entry === source && !canStripTypes) {
  process.stderr.write(`rampart: Node.js 22.18 or newer is needed to run from source (this is ${process.version}); or run npm run build\n`);
  process.exit(1);
}
const { cli } = await import(entry.href);
await cli();
