/**
 * The request as the engine sees it: the plain description a front door passes in, plus what the
 * engine derives from it (client IP, canonical path) and lazily computed parts (query, signals, risk).
 */
import { ErrorCode, RampartError } from '../errors.ts';
import type { ClientMatch, ClientMatcher } from '../signals/clients/first-party-clients.ts';
import { headerFingerprint } from '../signals/fingerprint/header-fingerprint.ts';
import type { CompiledLogins } from '../signals/logins/login-attack.ts';
import type { IntelAnswer } from '../intel/intel-answer.ts';
import type { Finding, Signal } from '../signals/types.ts';
import { classifyUserAgent } from '../signals/user-agent/classify-user-agent.ts';
import type { UserAgentClass } from '../signals/user-agent/classify-user-agent.ts';

/** Header values as node:http gives them: lower-case names, repeated headers as arrays. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What a front door passes to the engine.
 *
 * @example
 * engine.decide({ method: 'POST', url: '/api/auth/login', headers: { 'user-agent': 'curl/8' },
 *                 ip: '203.0.113.7', body: { username: 'alice' } })
 */
export interface RampartRequest {
  method: string;
  /** Path and query as sent (`/api/products?page=2`). */
  url: string;
  /** Lower-case header names. */
  headers: RequestHeaders;
  /** The peer address of the connection. The client IP is derived from it and the trusted proxies. */
  ip: string;
  /** Parsed JSON body, when the front door has one. */
  body?: unknown;
}

/** The signals a policy enables, with their effective weights. Built once per policy. */
export interface SignalSet {
  readonly byName: ReadonlyMap<string, { signal: Signal; weight: number }>;
  readonly all: readonly { signal: Signal; weight: number }[];
  /** Recognises the first-party clients the policy declares (`clients:`). */
  readonly clients: ClientMatcher;
  /** The policy's `logins` section, compiled; null without one. */
  readonly logins: CompiledLogins | null;
}

/** What the request context needs of IP intelligence (src/intel/intel.ts). */
export interface IntelLookup {
  lookup(ip: string): IntelAnswer | null;
}

const NOT_COMPUTED = Symbol('not computed');
const MAX_VALUE_LENGTH = 4096;

/**
 * Per-request state. Created by the engine; signals and conditions read it.
 */
export class RequestContext {
  readonly request: RampartRequest;
  /** Upper-case method. */
  readonly method: string;
  /** Canonical path (see src/policy/canonical-path.ts). */
  readonly path: string;
  /** The client IP after trusted-proxy resolution, canonical text. */
  readonly clientIp: string;
  /** The engine clock's time when the decision started. */
  readonly now: number;
  readonly #signals: SignalSet;
  #query: URLSearchParams | null = null;
  #findings: Map<string, Finding | null> | null = null;
  #risk: number | typeof NOT_COMPUTED = NOT_COMPUTED;
  #userAgent: UserAgentClass | null = null;
  #client: ClientMatch | null | typeof NOT_COMPUTED = NOT_COMPUTED;
  #fingerprint: string | null = null;
  readonly #intel: IntelLookup | null;
  #intelAnswer: IntelAnswer | null | typeof NOT_COMPUTED = NOT_COMPUTED;

  constructor(request: RampartRequest, method: string, path: string, clientIp: string, now: number, signals: SignalSet, intel: IntelLookup | null = null) {
    this.request = request;
    this.method = method;
    this.path = path;
    this.clientIp = clientIp;
    this.now = now;
    this.#signals = signals;
    this.#intel = intel;
  }

  /**
   * What IP intelligence knows about the client IP, looked up on first use (requests whose rules don't
   * ask pay nothing). Null when the policy has no intel or the address is not one.
   */
  intel(): IntelAnswer | null {
    if (this.#intelAnswer === NOT_COMPUTED) this.#intelAnswer = this.#intel === null ? null : this.#intel.lookup(this.clientIp);
    return this.#intelAnswer;
  }

  /** A header's value; repeated headers are joined with `, `. Values are capped at 4 KiB. */
  header(name: string): string | undefined {
    const v = this.request.headers[name];
    if (v === undefined) return undefined;
    const text = typeof v === 'string' ? v : v.join(', ');
    return text.length > MAX_VALUE_LENGTH ? text.slice(0, MAX_VALUE_LENGTH) : text;
  }

  /** The first value of a query parameter. */
  query(name: string): string | undefined {
    if (this.#query === null) {
      const url = this.request.url;
      const q = url.indexOf('?');
      const end = url.indexOf('#', q);
      this.#query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1, end === -1 ? undefined : end));
    }
    const v = this.#query.get(name);
    return v === null ? undefined : v.length > MAX_VALUE_LENGTH ? v.slice(0, MAX_VALUE_LENGTH) : v;
  }

  /** A scalar field of the JSON body by path segments (`['user', 'email']`); objects and arrays count as missing. */
  bodyField(path: readonly string[]): string | undefined {
    let v: unknown = this.request.body;
    for (const part of path) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = Object.hasOwn(v, part) ? (v as Record<string, unknown>)[part] : undefined;
    }
    if (typeof v === 'string') return v.length > MAX_VALUE_LENGTH ? v.slice(0, MAX_VALUE_LENGTH) : v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  }

  /** What the user agent claims to be (browser, HTTP client, bot…), computed on first use. */
  userAgent(): UserAgentClass {
    return (this.#userAgent ??= classifyUserAgent(this.header('user-agent')));
  }

  /** The declared first-party client this request claims to be (`clients:` in the policy), or null. */
  client(): ClientMatch | null {
    if (this.#client === NOT_COMPUTED) this.#client = this.#signals.clients(this.header('user-agent'), this.request.headers);
    return this.#client;
  }

  /** The policy's login routes and attack settings (`logins:`), or null. */
  logins(): CompiledLogins | null {
    return this.#signals.logins;
  }

  /** The header fingerprint (src/signals/fingerprint/header-fingerprint.ts), computed on first use. */
  fingerprint(): string {
    return (this.#fingerprint ??= headerFingerprint(this.method, this.request.headers));
  }

  /** The finding of a named signal, computed on first use. Null when it did not fire or is not enabled. */
  finding(name: string): Finding | null {
    this.#findings ??= new Map();
    const cached = this.#findings.get(name);
    if (cached !== undefined) return cached;
    const entry = this.#signals.byName.get(name);
    let finding: Finding | null = null;
    if (entry !== undefined) {
      let detail: string | null;
      try {
        detail = entry.signal.detect(this);
      } catch (err) {
        throw new RampartError(ErrorCode.SIGNAL, `signal ${name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (detail !== null) finding = { signal: name, weight: entry.weight, detail };
    }
    this.#findings.set(name, finding);
    return finding;
  }

  /**
   * Risk 0–100 from every enabled signal, combined as independent evidence:
   * `100 × (1 − Π(1 − weight/100))`. Two 50-weight findings give 75, never more than 100.
   */
  risk(): number {
    if (this.#risk !== NOT_COMPUTED) return this.#risk;
    let keep = 1;
    for (const { signal } of this.#signals.all) {
      const f = this.finding(signal.name);
      if (f !== null) keep *= 1 - f.weight / 100;
    }
    this.#risk = Math.round((1 - keep) * 100);
    return this.#risk;
  }

  /** Whether the risk score has been computed for this request (it is computed only when needed). */
  get riskComputed(): boolean {
    return this.#risk !== NOT_COMPUTED;
  }

  /** Findings computed so far (those that fired). */
  findings(): Finding[] {
    const out: Finding[] = [];
    if (this.#findings !== null) for (const f of this.#findings.values()) if (f !== null) out.push(f);
    return out;
  }
}
