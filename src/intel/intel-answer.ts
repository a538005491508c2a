/**
 * One lookup's result: categories as a bit mask (conditions test bits), the ASN and organisation, and
 * which source said what. The country is looked up on first use, since a MaxMind lookup costs more than
 * all the range searches together.
 */
/** What an answer needs from the intel that made it. */
export interface AnswerOrigin {
  readonly categoryNames: readonly string[];
  country(ip: string): { country: string; source: string } | null;
}

/** One source's finding about an address. */
export interface IntelMatch {
  readonly source: string;
  /** The category the source put the address in, or null for ASN sources. */
  readonly category: string | null;
  /** What the source said: the ASN's organisation for ASN sources (`Amazon.com, Inc.`), else `AWS EC2 us-east-1`, `tor exit`… */
  readonly label: string;
}

const UNKNOWN = Symbol('unknown');

/**
 * @example
 * const a = intel.lookup('203.0.113.7');
 * a?.has(intel.categoryBit('tor')); a?.asn; a?.country;
 */
export class IntelAnswer {
  readonly ip: string;
  /** Category bits (see Intel.categoryBit). */
  readonly mask: number;
  /** 0 when no source knows the ASN. */
  readonly asn: number;
  readonly org: string | null;
  readonly matches: readonly IntelMatch[];
  readonly #intel: AnswerOrigin;
  #country: { country: string; source: string } | null | typeof UNKNOWN = UNKNOWN;

  constructor(intel: AnswerOrigin, ip: string, mask: number, asn: number, org: string | null, matches: readonly IntelMatch[]) {
    this.#intel = intel;
    this.ip = ip;
    this.mask = mask;
    this.asn = asn;
    this.org = org;
    this.matches = matches;
  }

  /** True when the address is in any category of `bits`. */
  has(bits: number): boolean {
    return (this.mask & bits) !== 0;
  }

  /** Category names, in the policy's order. */
  categories(): string[] {
    return this.#intel.categoryNames.filter((_, i) => (this.mask & (1 << i)) !== 0);
  }

  /** Two-letter country code (upper case), or null. */
  get country(): string | null {
    return this.#countryEntry()?.country ?? null;
  }

  /** The source that gave the country, or null. */
  get countrySource(): string | null {
    return this.#countryEntry()?.source ?? null;
  }

  #countryEntry(): { country: string; source: string } | null {
    if (this.#country === UNKNOWN) this.#country = this.#intel.country(this.ip);
    return this.#country;
  }
}
