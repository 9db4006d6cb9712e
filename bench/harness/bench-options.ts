/** How big a bench run is; `--quick` is a ~30 s smoke size that only proves the harness works. */
export type BenchSize = 'default' | 'quick';

export interface BenchOptions {
  size: BenchSize;
  /** Only these scenarios (in registry order); every scenario when empty. */
  scenarios: string[];
  /** Write CPU profiles of the api and worker (`node --cpu-prof`) into bench/results/profiles. */
  profile: boolean;
  /** Exit 1 when a target is missed (correctness failures always exit 1). */
  strict: boolean;
  /** Echo the api/worker output to stderr. */
  verbose: boolean;
}

/** Per-scenario amounts for each size. */
export interface BenchSizes {
  /** Alternating baseline/project rounds of the ratio scenarios (the medians are compared). */
  rounds: number;
  ingestEvents: number;
  ingestTenants: number;
  freshnessSeconds: number;
  readTenants: number;
  readSeconds: number;
  readConnections: number;
  reconcileEvents: number;
  reconcileTenants: number;
  stripeTenants: number;
  /** Events of the one tenant whose history the `history` scenario reads. */
  historyEvents: number;
  /** Events stored across 12 months for the `scale` scenario's second half. */
  scaleEvents: number;
  scaleTenants: number;
  /** Events the `scale` scenario ingests on each side (worker commit throughput). */
  scaleIngestEvents: number;
  /** Seconds of load per read endpoint and side in the `scale` scenario. */
  scaleReadSeconds: number;
}

export const SIZES: Record<BenchSize, BenchSizes> = {
  default: {
    rounds: 3,
    ingestEvents: 60_000,
    ingestTenants: 200,
    freshnessSeconds: 20,
    readTenants: 1_000,
    readSeconds: 10,
    readConnections: 50,
    reconcileEvents: 1_000_000,
    reconcileTenants: 1_000,
    stripeTenants: 10_000,
    historyEvents: 1_000_000,
    scaleEvents: 20_000_000,
    scaleTenants: 2_000,
    scaleIngestEvents: 100_000,
    scaleReadSeconds: 8,
  },
  quick: {
    rounds: 1,
    ingestEvents: 5_000,
    ingestTenants: 50,
    freshnessSeconds: 4,
    readTenants: 1_000,
    readSeconds: 3,
    readConnections: 50,
    reconcileEvents: 50_000,
    reconcileTenants: 100,
    stripeTenants: 500,
    historyEvents: 50_000,
    scaleEvents: 200_000,
    scaleTenants: 500,
    scaleIngestEvents: 10_000,
    scaleReadSeconds: 1,
  },
};

const USAGE = `npm run bench [-- [--quick] [--scenario <name>]... [--profile] [--strict] [--verbose]]`;

/** Parses `process.argv.slice(2)`; unknown flags are an error naming them. */
export function parseBenchOptions(argv: readonly string[], known: readonly string[]): BenchOptions {
  const options: BenchOptions = { size: 'default', scenarios: [], profile: false, strict: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.size = 'quick';
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--strict') options.strict = true;
    else if (arg === '--verbose') options.verbose = true;
    else if (arg === '--scenario' || arg.startsWith('--scenario=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      for (const name of (value ?? '').split(',').filter(Boolean)) {
        if (!known.includes(name)) throw new Error(`unknown scenario "${name}"; one of: ${known.join(', ')}`);
        options.scenarios.push(name);
      }
    } else if (arg === '--help' || arg === '-h') {
      throw new Error(`usage: ${USAGE}\nscenarios: ${known.join(', ')}`);
    } else {
      throw new Error(`unknown argument "${arg}"\nusage: ${USAGE}`);
    }
  }
  return options;
}
