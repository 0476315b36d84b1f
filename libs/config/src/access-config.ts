/**
 * The access part of the configuration (issue 15): which browser origins may call the services (CORS, none by
 * default), the rate limits per API key, whether /metrics needs a key, and the S3 locations an import may read.
 */
import { ConfigError } from './errors.ts';

export interface S3ImportLocation {
  bucket: string;
  /** The key prefix an import may read under; '' for the whole bucket. */
  prefix: string;
}

export interface AccessConfig {
  /** Origins (`scheme://host[:port]`) a browser page may call the services from; empty: CORS off. */
  corsOrigins: readonly string[];
  /** Calls per key per minute: `perMinute` for every route, `expensivePerMinute` for those that start work (experiments, deconvolutions). */
  rateLimits: { perMinute: number; expensivePerMinute: number };
  /** /metrics needs a key (scope read) instead of being open to the network. */
  metricsRequireKey: boolean;
}

export interface AccessEnv {
  CORS_ORIGINS?: string;
  RATE_LIMIT_PER_MINUTE: number;
  RATE_LIMIT_EXPENSIVE_PER_MINUTE: number;
  METRICS_REQUIRE_KEY: boolean;
  S3_IMPORT_ALLOW?: string;
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;
const LOCATION = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

const list = (text: string | undefined) => (text ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');

export function accessConfig(env: AccessEnv): AccessConfig {
  const origins = list(env.CORS_ORIGINS).map((origin) => origin.toLowerCase().replace(/\/$/, ''));
  const bad = origins.filter((origin) => !ORIGIN.test(origin));
  // Problems name the variable only: a value could be anything the operator pasted.
  if (bad.length > 0) {
    throw new ConfigError([`CORS_ORIGINS: expected a comma-separated list of origins like https://lims.lab.org (scheme, host and port only: no wildcard, no path); ${bad.length} of ${origins.length} not`]);
  }
  return {
    corsOrigins: origins,
    rateLimits: { perMinute: env.RATE_LIMIT_PER_MINUTE, expensivePerMinute: env.RATE_LIMIT_EXPENSIVE_PER_MINUTE },
    metricsRequireKey: env.METRICS_REQUIRE_KEY,
  };
}

/**
 * `S3_IMPORT_ALLOW=s3://lab-data/acquisitions/,s3://scope-2/` → the locations s3:// imports may read. Never the
 * service's own blob bucket: a user naming a key in it would read another project's data (the exploit).
 */
export function s3ImportLocations(text: string | undefined, blobBucket: string | undefined): S3ImportLocation[] {
  const locations: S3ImportLocation[] = [];
  const problems: string[] = [];
  for (const entry of list(text)) {
    const match = LOCATION.exec(entry);
    if (match === null || match[1].includes('..')) {
      problems.push('S3_IMPORT_ALLOW: expected a comma-separated list of s3://bucket/ or s3://bucket/prefix/');
      continue;
    }
    if (match[1] === blobBucket) problems.push('S3_IMPORT_ALLOW: must not name S3_BUCKET, the service\'s own blob bucket');
    // A prefix is a folder: s3://lab/acq allows acq/… but not acq-private/….
    const prefix = match[2] ?? '';
    locations.push({ bucket: match[1], prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` });
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return locations;
}
