// Every attack scenario the benchmark runs, in report order. Add a new one here (see ../README.md).
import type { Scenario } from '../types.ts';
import { enumeration, fakeSignups, otpBombing, scalping, scanning } from './abuse.ts';
import { cracking, spraying, stuffingDistributed, stuffingLowAndSlow, stuffingNaive } from './credentials.ts';
import { scrapingFast, scrapingStealthy } from './scraping.ts';

export const SCENARIOS: readonly Scenario[] = [
  stuffingNaive, stuffingDistributed, stuffingLowAndSlow, cracking, spraying,
  scrapingFast, scrapingStealthy, enumeration, otpBombing, fakeSignups, scalping, scanning,
];
