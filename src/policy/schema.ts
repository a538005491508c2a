/**
 * The policy file's shape, as one zod schema. The JSON Schema in `schema/rampart.schema.json` is
 * generated from it (`npm run schema`), so editors and the loader agree on every key.
 * Semantic checks that need more than shape (route templates, CIDRs, regexes) happen in compile-policy.ts.
 */
import { z } from 'zod';
import { DURATION_PATTERN, RATE_PATTERN } from './duration.ts';

const duration = z
  .union([
    z.string().regex(new RegExp(DURATION_PATTERN), {
      error: 'expected a duration like 30s, 15m, 1h or 500ms',
    }),
    z.number().int().min(0, { error: 'a duration in milliseconds must be ≥ 0' }),
  ], { error: 'expected a duration like 30s, 15m, 1h, or a number of milliseconds' })
  .meta({ description: 'A duration: `30s`, `15m`, `1h`, `500ms`, or a number of milliseconds.' });

const rate = z
  .string({ error: 'expected a rate like 5/min, 100/hour or 10/s' })
  .regex(new RegExp(RATE_PATTERN), { error: 'expected a rate like 5/min, 100/hour, 10/s or 20/10s' })
  .meta({ description: 'Units per period: `5/min`, `100/hour`, `10/s`, `20/10s`.' });

const statusCode = z.number().int().min(100).max(599);

const ipList = z
  .array(z.string(), { error: 'expected a list of IP addresses or CIDR ranges' })
  .meta({ description: 'IP addresses and CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`), or `loopback`, `private`, `linklocal`.' });

/** Tests on one text value (a header, a query parameter, a body field). */
const valueTest = z.strictObject({
  present: z.boolean().optional().meta({ description: 'true: the value must exist; false: it must not.' }),
  equals: z.union([z.string(), z.array(z.string())]).optional().meta({ description: 'Exact value, or any of a list.' }),
  matches: z.string().optional().meta({ description: 'A JavaScript regular expression the value must match.' }),
  ignore_case: z.boolean().optional().meta({ description: 'Compare `equals` and `matches` without regard to case.' }),
});

const namedValueTest = valueTest.extend({
  name: z.string().min(1).meta({ description: 'Header or query parameter name.' }),
});
const bodyValueTest = valueTest.extend({
  field: z.string().min(1).meta({ description: 'Dot path into the JSON body, e.g. `username` or `user.email`.' }),
});

const identityName = z.enum(['api_key', 'user'], { error: 'expected api_key or user' });

export type ConditionInput =
  | { ip: string[] }
  | { method: string[] }
  | { header: z.input<typeof namedValueTest> }
  | { query: z.input<typeof namedValueTest> }
  | { body: z.input<typeof bodyValueTest> }
  | { present: 'api_key' | 'user' }
  | { risk: { gte?: number | undefined; lt?: number | undefined } }
  | { signal: string }
  | { client: string }
  | { 'ip.category': string | string[] }
  | { 'ip.asn': number | number[] }
  | { 'ip.org': z.input<typeof valueTest> }
  | { 'ip.country': string | string[] }
  | { disposable_email: { body: string } }
  | { any: ConditionInput[] }
  | { all: ConditionInput[] }
  | { not: ConditionInput };

const CONDITION_KINDS = ['ip', 'method', 'header', 'query', 'body', 'present', 'risk', 'signal', 'client', 'ip.category', 'ip.asn', 'ip.org', 'ip.country', 'disposable_email', 'any', 'all', 'not'] as const;

const asnNumber = z.number({ error: 'expected an ASN number like 16509' }).int().min(1).max(4294967295);
const countryCode = z.string().regex(/^[A-Za-z]{2}$/, { error: 'expected a two-letter ISO 3166 country code like DE or US' });

const condition: z.ZodType<ConditionInput> = z.lazy(() =>
  z
    .strictObject({
      ip: ipList.optional().meta({ description: 'The client IP is in one of these ranges.' }),
      method: z.array(z.string().min(1)).optional().meta({ description: 'The request method is one of these.' }),
      header: namedValueTest.optional().meta({ description: 'A request header passes this test.' }),
      query: namedValueTest.optional().meta({ description: 'A query parameter passes this test.' }),
      body: bodyValueTest.optional().meta({ description: 'A JSON body field passes this test.' }),
      present: identityName.optional().meta({ description: 'The request carries this identity.' }),
      risk: z
        .strictObject({
          gte: z.number().min(0).max(100).optional(),
          lt: z.number().min(0).max(100).optional(),
        })
        .optional()
        .meta({ description: 'The request\'s risk score (0–100) is `>= gte` and `< lt`.' }),
      signal: z.string().min(1).optional().meta({ description: 'The named signal reported a finding for this request.' }),
      client: z.string().min(1).optional().meta({ description: 'The request comes from this first-party client (declared under `clients`): its user agent matches and it sends the declared headers.' }),
      'ip.category': z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().meta({
        description: 'The client IP is in one of these categories (`datacenter`, `tor`, `vpn`, `proxy`, or a list source\'s category). Needs `intel`.',
      }),
      'ip.asn': z.union([asnNumber, z.array(asnNumber).min(1)]).optional().meta({ description: 'The client IP is announced by one of these ASNs. Needs an ASN source in `intel`.' }),
      'ip.org': valueTest.optional().meta({ description: 'The organisation of the client IP\'s ASN passes this test (e.g. `{ matches: amazon, ignore_case: true }`).' }),
      'ip.country': z.union([countryCode, z.array(countryCode).min(1)]).optional().meta({ description: 'The client IP is located in one of these countries. Needs an `mmdb-country` source in `intel`.' }),
      disposable_email: z
        .strictObject({ body: z.string().min(1).meta({ description: 'Dot path of the JSON body field holding the address, e.g. `email`.' }) })
        .optional()
        .meta({ description: 'The e-mail address in this body field is at a disposable domain (subdomains included).' }),
      any: z.array(condition).min(1).optional().meta({ description: 'At least one of these conditions holds.' }),
      all: z.array(condition).min(1).optional().meta({ description: 'All of these conditions hold.' }),
      not: condition.optional().meta({ description: 'This condition does not hold.' }),
    })
    .refine((c) => Object.keys(c).length === 1, {
      error: `a condition has exactly one of: ${CONDITION_KINDS.join(', ')} (write two conditions as two list items)`,
    })
    .meta({ minProperties: 1, maxProperties: 1 }),
) as z.ZodType<ConditionInput>;

const KEY_PATTERN = '^(ip|ip_prefix|asn|api_key|user|route|path|global|method|fingerprint|(hmac:)?(header|query|body):.+)$';
const keyPart = z
  .string()
  .regex(new RegExp(KEY_PATTERN), {
    error: 'expected ip, ip_prefix, asn, api_key, user, route, path, global, method, fingerprint, header:<name>, query:<name>, body:<field> or hmac:body:<field>',
  })
  .meta({
    description:
      'One identity: `ip`, `ip_prefix`, `asn` (the client IP\'s ASN, needs `intel`), `api_key`, `user`, `route` (the matched template), `path` (the canonical path), `global`, `method`, `fingerprint` (the header fingerprint, see docs/detection.md), `header:<name>`, `query:<name>`, `body:<field>`, and `hmac:` before a header, query or body part to count by a keyed hash of the value (passwords: the value itself never reaches the store).',
  });

const clientDeclaration = z.strictObject({
  name: z
    .string({ error: 'every client needs a name' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'a client name is 1–64 letters, digits, `-`, `_` or `.`' })
    .meta({ description: 'Name used by `client:` conditions and in logs.' }),
  user_agent: z.string({ error: 'a client needs `user_agent`: a regular expression its User-Agent matches, e.g. `^ShopApp/`' }).min(1).meta({
    description: 'JavaScript regular expression the client\'s User-Agent matches.',
  }),
  headers: z.array(z.string().min(1)).optional().meta({ description: 'Headers this client always sends; a request claiming the client without one is flagged `client.impostor`.' }),
});

const limit = z.strictObject({
  rate: rate,
  algorithm: z
    .enum(['sliding-window', 'fixed-window', 'token-bucket', 'gcra'], {
      error: 'expected one of sliding-window, fixed-window, token-bucket, gcra',
    })
    .default('sliding-window')
    .meta({ description: 'Counting algorithm. Default `sliding-window`.' }),
  burst: z.number().int().min(1).optional().meta({ description: 'Bucket size for token-bucket and gcra (default: the rate\'s count).' }),
  cost: z.number().int().min(1).default(1).meta({ description: 'Units each matching request takes.' }),
  count: z
    .strictObject({
      status: z.array(z.union([statusCode, z.string().regex(/^[1-5]xx$/, { error: 'expected a status like 401 or a class like 4xx' })])).min(1),
    })
    .optional()
    .meta({ description: 'Count only requests whose response status is listed (e.g. failed logins: `[401, 403]`).' }),
  penalty: duration.optional().meta({ description: 'Once the limit is exceeded, refuse the key for this long.' }),
  distinct: keyPart.optional().meta({
    description:
      'Count distinct values of this identity per key instead of requests: e.g. `path` (resource ids), `body:username` (accounts tried), `ip` (addresses per account). A value counted within the window is free and allowed again; a new one past the limit is refused.',
  }),
});

const ACTIONS = ['allow', 'deny', 'throttle', 'challenge', 'tarpit'] as const;

const rule = z.strictObject({
  name: z
    .string({ error: 'every rule needs a name' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'a rule name is 1–64 letters, digits, `-`, `_` or `.`' })
    .meta({ description: 'Unique name; appears in logs, metrics and the RateLimit headers.' }),
  match: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected a route like `POST /api/auth/login` or a list of routes' })
    .default('/**')
    .meta({ description: 'Route templates: `[METHOD ]/path` with `:param`, `*` (one segment) and `**` (the rest). Default: every request.' }),
  when: z.array(condition).optional().meta({ description: 'Conditions that must all hold for the rule to apply.' }),
  key: z
    .union([keyPart, z.array(keyPart).min(1)], { error: 'expected an identity like `ip` or a list of them' })
    .optional()
    .meta({ description: 'What the limit counts per. Default `ip`.' }),
  if_missing: z.enum(['shared', 'skip']).default('shared').meta({
    description: 'When a key part is missing from the request: `shared` counts all such requests together (default); `skip` ignores the rule for them.',
  }),
  limit: limit.optional(),
  action: z
    .enum(ACTIONS, { error: `expected one of ${ACTIONS.join(', ')}` })
    .optional()
    .meta({
      description: 'What to do when the rule fires: `throttle` (429), `deny` (403), `challenge` (proof of work, see `challenge`), `tarpit` (delay, see `tarpit`) or `allow`. With a limit: default `throttle`. Without: required.',
    }),
  group: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'a group is 1–64 letters, digits, `-`, `_` or `.`' })
    .optional()
    .meta({ description: 'For `challenge`: the route group a solved challenge and its pass are bound to; rules with the same group share passes. Default: the rule\'s name.' }),
  monitor: z.boolean().optional().meta({ description: 'Log what the rule would do, enforce nothing.' }),
  on_store_error: z.enum(['allow', 'deny', 'local'], { error: 'expected allow, deny or local' }).optional().meta({
    description: 'If the state store fails (Redis down or slow): `allow` skips the limit (fail open), `deny` applies the action, `local` limits in this process with the same settings. Default: the top-level `on_error`.',
  }),
  headers: z.boolean().default(true).meta({ description: 'Send RateLimit headers for this rule.' }),
});

const REDIS_URL = /^rediss?:\/\/[^\s]+$/;
const redisUrl = z
  .string()
  .regex(REDIS_URL, { error: 'expected a URL like redis://127.0.0.1:6379/0 or rediss://user:pass@host:6380' })
  .meta({ description: '`redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS.' });

const redis = z
  .strictObject({
    url: redisUrl.optional().meta({ description: 'One Redis server (or a proxy). Give `url` or `nodes`.' }),
    nodes: z.array(redisUrl).min(1).optional().meta({ description: 'Redis Cluster seed nodes (`redis://host:port`, any few of the cluster). Give `url` or `nodes`.' }),
    prefix: z
      .string()
      .regex(/^[^{}\s]*$/, { error: 'a prefix must not contain {, } or spaces' })
      .default('rampart:')
      .meta({ description: 'Prepended to every key, so several policies or apps can share one Redis. Default `rampart:`.' }),
    command_timeout: duration.default('50ms').meta({ description: 'How long a request waits for Redis before its limits fall back (`on_store_error`). Default 50ms.' }),
    connect_timeout: duration.default('2s').meta({ description: 'How long one connection attempt may take (reconnects are automatic). Default 2s.' }),
    block_cache: z
      .strictObject({
        max_keys: z.number().int().min(0).max(1_000_000).default(10_000).meta({ description: 'Keys in a penalty box remembered locally, so their requests cost no Redis call. 0 turns it off. Default 10,000.' }),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        failures: z.number().int().min(1).max(1000).default(5).meta({ description: 'Failed round trips in a row that open the circuit. Default 5.' }),
        cooldown: duration.default('1s').meta({ description: 'How long the circuit stays open before one request tries Redis again. Default 1s.' }),
      })
      .prefault({}),
  })
  .refine((r) => (r.url === undefined) !== (r.nodes === undefined), { error: 'give exactly one of `url` (one server) or `nodes` (a cluster)' })
  .meta({ description: 'Shared state in Redis or Redis Cluster: every instance enforces the same limits.' });

const stateObject = z.strictObject({
  memory: z
    .strictObject({ max_keys: z.number().int().min(100).max(16_777_216).default(1_000_000).meta({ description: 'Most keys tracked at once over all limits (≤ 16,777,216). About 120 bytes each. With `redis`: the bound of the `local` fallback.' }) })
    .prefault({}),
  redis: redis.optional(),
});

const difficultyLevel = z.strictObject({
  risk: z.number().min(0).max(100).meta({ description: 'This level applies from this risk score (0–100) up to the next level\'s.' }),
  max_number: z.number().int().min(1000).max(100_000_000).meta({
    description: 'ALTCHA `maxnumber`: the secret number is drawn from 0…max_number, so a client tries max_number / 2 SHA-256 hashes on average.',
  }),
});

const challenge = z
  .strictObject({
    secret: z.string().min(32, { error: 'the challenge secret must be at least 32 characters; generate one with `openssl rand -hex 32`' }).optional().meta({
      description: 'Key that signs challenges and passes. Every instance behind one load balancer needs the same one. Default: random per process (passes die with the process).',
    }),
    expires: duration.default('5m').meta({ description: 'How long an issued challenge can be solved and presented. Default 5m.' }),
    pass: duration.default('30m').meta({ description: 'Lifetime of the pass a solved challenge earns; the client is not challenged again meanwhile (at the same or a lower difficulty). Default 30m.' }),
    difficulty: z
      .array(difficultyLevel)
      .min(1)
      .default([
        { risk: 0, max_number: 20_000 },
        { risk: 50, max_number: 200_000 },
        { risk: 80, max_number: 2_000_000 },
      ])
      .meta({ description: 'Difficulty levels by risk score, in increasing order of `risk`; the first must start at 0. Default 20,000 / 200,000 / 2,000,000 at risk 0 / 50 / 80.' }),
  })
  .prefault({})
  .meta({ description: 'Proof-of-work challenges (ALTCHA-compatible) for rules with `action: challenge`. See docs/challenge.md.' });

const tarpit = z
  .strictObject({
    delay: duration.default('3s').meta({ description: 'How long a tarpitted request waits before it is forwarded (at most 60s). Default 3s.' }),
    max_concurrent: z.number().int().min(1).max(100_000).default(100).meta({ description: 'Most requests held in the tarpit at once, per process. Default 100.' }),
    when_full: z.enum(['throttle', 'deny', 'allow']).default('throttle').meta({
      description: 'What happens to a tarpit request while the tarpit is full: `throttle` (429 at once, default), `deny` (403) or `allow` (forward at once).',
    }),
  })
  .prefault({})
  .meta({ description: 'The tarpit for rules with `action: tarpit`: delay, bounded in time and in concurrent requests.' });

const listen = (host: string, port: number) =>
  z
    .strictObject({
      host: z.string().min(1).default(host).meta({ description: `Address to bind. Default \`${host}\`.` }),
      port: z.number().int().min(0).max(65535).default(port).meta({ description: `TCP port. Default ${port}; 0 picks a free one.` }),
    })
    .prefault({});

const gateway = z
  .strictObject({
    listen: listen('0.0.0.0', 8080),
    upstream: z
      .string({ error: 'the gateway needs `upstream`: the URL of the API it protects, e.g. http://127.0.0.1:5000' })
      .regex(/^https?:\/\/[^/?#\s]+\/?$/, { error: 'expected an origin like http://127.0.0.1:5000 (scheme, host, optional port; no path)' })
      .meta({ description: 'Origin of the protected API: `http://host:port` or `https://host:port`.' }),
    tls: z
      .strictObject({
        cert: z.string().min(1).meta({ description: 'PEM certificate chain file.' }),
        key: z.string().min(1).meta({ description: 'PEM private key file.' }),
      })
      .optional()
      .meta({ description: 'Terminate TLS at the gateway.' }),
    timeouts: z
      .strictObject({
        headers: duration.default('10s').meta({ description: 'Time a client has to send its request headers.' }),
        request: duration.default('60s').meta({ description: 'Time a client has to send its whole request (headers and body).' }),
        idle: duration.default('5s').meta({ description: 'Keep-alive: how long an idle client connection stays open.' }),
        upstream: duration.default('30s').meta({ description: 'Time the upstream has to answer with headers (then 504).' }),
        shutdown: duration.default('10s').meta({ description: 'On SIGTERM/SIGINT, how long in-flight requests may take to finish.' }),
      })
      .prefault({}),
    limits: z
      .strictObject({
        max_header_bytes: z.number().int().min(1024).max(1_048_576).default(16_384).meta({ description: 'Largest request head; larger gets 431.' }),
        max_headers: z.number().int().min(8).max(1000).default(100).meta({ description: 'Most request header fields; more gets 431.' }),
        max_buffered_bytes: z.number().int().min(1_048_576).max(17_179_869_184).default(67_108_864).meta({
          description: 'Most memory held by bodies read for body rules, over all requests at once; a request that would pass it gets 503. Default 64 MiB.',
        }),
        max_connections: z.number().int().min(1).max(1_000_000).default(10_000).meta({
          description: 'Most client connections open at once; further connections are closed on arrival (keep it under `ulimit -n`).',
        }),
        max_body_bytes: z.number().int().min(1024).max(104_857_600).default(1_048_576).meta({
          description: 'Largest body read into memory when a rule needs a body field; larger gets 413. Other bodies stream and are not limited here.',
        }),
      })
      .prefault({}),
    upstream_connections: z.number().int().min(1).max(10_000).default(128).meta({ description: 'Most pooled keep-alive connections to the upstream.' }),
  })
  .meta({ description: 'The reverse proxy (`rampart start`).' });

const admin = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1').meta({ description: 'Keep it on loopback or a private network: it exposes metrics.' }),
    port: z.number().int().min(0).max(65535).default(9090),
  })
  .prefault({})
  .meta({ description: 'Admin listener: GET /health, /ready, /metrics.' });

const log = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').meta({ description: 'Level of the operational log (stderr).' }),
    decisions: z
      .strictObject({
        enabled: z.boolean().default(true),
        to: z.string().min(1).default('stdout').meta({ description: '`stdout`, `stderr`, or a file path (appended).' }),
        sample_allowed: z.number().min(0).max(1).default(1).meta({ description: 'Share of allowed requests logged (0–1). Refused and monitored ones are always logged.' }),
        hash_key: z.string().min(16, { error: 'hash_key must be at least 16 characters; generate one with `openssl rand -hex 32`' }).optional().meta({
          description: 'Secret for the keyed hashes that replace credentials in the log (so equal values stay correlatable). Default: random per process.',
        }),
        redact_headers: z.array(z.string().min(1)).default([]).meta({ description: 'More header names to replace by a keyed hash (authorization, cookie, API keys… always are).' }),
        redact_body_fields: z.array(z.string().min(1)).default([]).meta({ description: 'More body fields to replace by a keyed hash (password, token, secret, otp… always are).' }),
      })
      .prefault({}),
  })
  .prefault({})
  .meta({ description: 'Operational log and the decision log (one JSON line per request).' });

/** Names of IP categories: the built-in `datacenter`, `tor`, `vpn`, `proxy`, or a list's own. */
const CATEGORY_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
const categoryName = z
  .string()
  .regex(new RegExp(CATEGORY_PATTERN), { error: 'a category is 1–32 lower-case letters, digits, `-` or `_`, starting with a letter (e.g. `vpn`, `office`)' })
  .meta({ description: 'An IP category: `datacenter`, `tor`, `vpn`, `proxy`, or the name a list source gives.' });

const INTEL_KINDS = ['asn-csv', 'tor', 'aws', 'gcp', 'azure', 'list', 'mmdb-country', 'mmdb-asn'] as const;

const intelSource = z
  .strictObject({
    name: z
      .string({ error: 'every intel source needs a `name`' })
      .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { error: 'a source name is 1–64 lower-case letters, digits, `.`, `-` or `_`' })
      .meta({ description: 'Unique name: shown by `rampart intel lookup`, in metrics, and the file name of its disk cache.' }),
    kind: z.enum(INTEL_KINDS, { error: `expected one of ${INTEL_KINDS.join(', ')}` }).meta({
      description: '`asn-csv` (ip-location-db ASN table), `tor` (bulk exit list or TorDNSEL), `aws` / `gcp` / `azure` (cloud range files), `list` (IPs and CIDRs), `mmdb-country` / `mmdb-asn` (MaxMind-format databases).',
    }),
    path: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().meta({
      description: 'Local file(s), relative to the policy file. `asn-csv` and `mmdb-country` without `path` or `url` use the installed ip-location-db packages.',
    }),
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, { error: 'expected an http:// or https:// URL' })
      .optional()
      .meta({ description: 'Fetch from here on an interval (ETag / If-Modified-Since), keep the last good copy in `cache_dir`.' }),
    category: categoryName.optional().meta({ description: 'Category of every address in the source. Default: `tor` for tor, `datacenter` for aws/gcp/azure; required for list.' }),
    refresh: duration.optional().meta({ description: 'How often to re-fetch a `url` source. Default: `intel.refresh`.' }),
    optional: z.boolean().default(false).meta({ description: 'A missing local file is logged and skipped instead of failing the policy.' }),
  })
  .meta({ description: 'One source of IP intelligence.' });

const intel = z
  .strictObject({
    sources: z.array(intelSource, { error: 'expected a list of sources' }).default([]),
    refresh: duration.default('24h').meta({ description: 'Default re-fetch interval of `url` sources.' }),
    cache_dir: z.string().min(1).default('.rampart-cache/intel').meta({ description: 'Where fetched feeds are cached (relative to the policy file); the last good copy is used at start-up when the network is down.' }),
    hosting: z
      .strictObject({
        builtin: z.boolean().default(true).meta({ description: 'Use the bundled list of hosting ASNs (docs/intel.md).' }),
        add: z.array(z.union([z.number().int().min(1).max(4294967295), z.strictObject({ asn: z.number().int().min(1).max(4294967295), name: z.string().min(1).optional() })])).default([]).meta({
          description: 'More hosting ASNs: numbers, or `{ asn, name }`.',
        }),
        except: z.array(z.number().int().min(1).max(4294967295)).default([]).meta({ description: 'ASNs never treated as hosting (e.g. your own office network\'s provider).' }),
      })
      .prefault({})
      .meta({ description: 'Which ASNs make an address `datacenter` (needs an ASN source).' }),
    weights: z.record(categoryName, z.number().min(0).max(100)).default({}).meta({
      description: 'Risk weight (0–100) of each category\'s signal `ip.<category>`. Defaults: datacenter 20, tor 50, proxy 40, vpn 20, others 0.',
    }),
    disposable_email: z
      .strictObject({
        builtin: z.boolean().default(true).meta({ description: 'Use the `disposable-email-domains` package\'s list.' }),
        add: z.array(z.string().min(1)).default([]).meta({ description: 'More disposable domains (their subdomains count too).' }),
        except: z.array(z.string().min(1)).default([]).meta({ description: 'Domains never treated as disposable.' }),
      })
      .prefault({})
      .meta({ description: 'Domains the `disposable_email` condition matches.' }),
  })
  .meta({ description: 'IP intelligence (ASN, hosting, Tor, cloud and custom lists, country) and disposable e-mail domains. See docs/intel.md.' });

/** The `intel` section after defaults. */
export type IntelDocument = z.output<typeof intel>;
export type IntelSourceDocument = IntelDocument['sources'][number];

export const policySchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { error: 'expected version: 1' }).default(1),
    mode: z.enum(['enforce', 'monitor']).default('enforce').meta({ description: '`monitor` logs decisions and enforces nothing.' }),
    on_error: z.enum(['allow', 'deny']).default('allow').meta({ description: 'When deciding fails: the default `on_store_error` of limit rules that set none, and the decision when a signal or the engine itself fails.' }),
    client_ip: z
      .strictObject({
        trusted_proxies: ipList.default([]),
        header: z.enum(['x-forwarded-for', 'forwarded', 'x-real-ip']).default('x-forwarded-for'),
        ipv4_prefix: z.number().int().min(8).max(32).default(24),
        ipv6_prefix: z.number().int().min(16).max(128).default(64),
      })
      .prefault({})
      .meta({ description: 'How the client address is found and grouped.' }),
    paths: z
      .strictObject({
        trailing_slash: z.enum(['strip', 'keep']).default('strip'),
        case_sensitive: z.boolean().default(false),
      })
      .prefault({})
      .meta({ description: 'Path canonicalisation before route matching.' }),
    identities: z
      .strictObject({
        api_key: z
          .strictObject({ header: z.string().min(1).optional(), query: z.string().min(1).optional() })
          .default({ header: 'x-api-key' }),
        user: z
          .strictObject({ header: z.string().min(1).optional(), body: z.string().min(1).optional() })
          .default({ header: 'x-user-id' }),
        hash_key: z.string().min(16, { error: 'hash_key must be at least 16 characters; generate one with `openssl rand -hex 32`' }).optional().meta({
          description: 'Secret for `hmac:` key parts. Instances that share a store need the same one. Default: random per process.',
        }),
      })
      .prefault({})
      .meta({ description: 'Where the `api_key` and `user` identities come from.' }),
    state: z
      .union([redisUrl, stateObject], { error: 'expected a redis:// URL or an object with `memory` and/or `redis`' })
      .transform((v) => (typeof v === 'string' ? stateObject.parse({ redis: { url: v } }) : v))
      .prefault({})
      .meta({ description: 'Hot state (counters, penalty boxes): embedded memory by default; `redis://…` (or a `redis` section) shares it between instances.' }),
    responses: z
      .strictObject({
        rate_limit_headers: z.enum(['draft', 'legacy', 'both', 'none']).default('draft').meta({
          description: '`draft`: IETF RateLimit-Policy / RateLimit; `legacy`: X-RateLimit-Limit/-Remaining/-Reset; `both`; `none`.',
        }),
      })
      .prefault({}),
    intel: intel.optional(),
    signals: z
      .record(z.string(), z.union([z.strictObject({ weight: z.number().min(0).max(100) }), z.literal(false)]))
      .default({})
      .meta({ description: 'Per-signal risk weight overrides (0–100), or `false` to turn a signal off.' }),
    clients: z.array(clientDeclaration, { error: 'expected a list of clients like `- { name: shop-app, user_agent: "^ShopApp/" }`' }).default([]).meta({
      description: 'Your own clients (mobile app, partner integration): recognised by user agent and headers, so detection does not flag them.',
    }),
    traps: z
      .strictObject({
        routes: z
          .array(z.string().min(1), { error: 'expected a list of routes like `/.env` or `GET /api/v0/admin/**`' })
          .meta({ description: 'Honeypot routes no legitimate client calls (route templates, as in `match`).' }),
        ban: duration.default('1h').meta({ description: 'How long a client that hits a trap is refused everywhere. Default 1h.' }),
        fingerprint: z.boolean().default(true).meta({
          description: 'Also ban the header fingerprint of a client that is not a browser, so a script rotating IPs stays banned. Default true.',
        }),
        monitor: z.boolean().default(false).meta({ description: 'Record trap hits and bans, refuse nothing.' }),
      })
      .optional()
      .meta({ description: 'Honeypot routes: a hit is refused (403) and bans the client for `ban`, across instances sharing the store.' }),
    challenge,
    tarpit,
    logins: z
      .strictObject({
        routes: z
          .array(z.string().min(1), { error: 'expected a list of login routes like `POST /api/auth/login`' })
          .min(1)
          .meta({ description: 'The login routes (route templates, as in `match`).' }),
        failure: z.array(statusCode).min(1).default([401]).meta({ description: 'Response statuses that mean a failed login. Default [401].' }),
        attack: z
          .strictObject({
            window: duration.default('1m').meta({ description: 'Failures are counted per window. Default 1m.' }),
            baseline: duration.default('1h').meta({ description: 'How far back the usual failure rate reaches (an exponentially weighted average). Default 1h.' }),
            factor: z.number().min(1.5).max(1000).default(4).meta({ description: 'Under attack when a window has this many times the usual failures. Default 4.' }),
            min_failures: z.number().int().min(1).default(30).meta({ description: '... and at least this many. Default 30.' }),
            cooldown: duration.default('15m').meta({ description: 'How long the state lasts after the last window over the threshold. Default 15m.' }),
          })
          .prefault({}),
      })
      .optional()
      .meta({ description: 'Login routes, what a failure is, and when the failure rate means an attack (signal `login.under-attack`).' }),
    rules: z.array(rule, { error: 'expected a list of rules' }).default([]),
    gateway: gateway.optional(),
    admin,
    log,
  })
  .meta({ title: 'Rampart policy', description: 'Rampart policy file (YAML or JSON).' });

/** The policy as written (before defaults). */
export type PolicyInput = z.input<typeof policySchema>;
/** The policy after shape validation and defaults. */
export type PolicyDocument = z.output<typeof policySchema>;
export type RuleDocument = PolicyDocument['rules'][number];
export type StateDocument = PolicyDocument['state'];
export type RedisDocument = NonNullable<StateDocument['redis']>;
