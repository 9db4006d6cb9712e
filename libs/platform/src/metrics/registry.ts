import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

/** The one prom-client registry of the process; every metric registers here. */
export const metricsRegistry = new Registry();

let defaultsCollected = false;

/** Adds Node's default process metrics (memory, CPU, event loop) once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/*
 * Metrics are created on first use and reused afterwards, so a module can be loaded by several
 * app instances in one process (as tests do) without "already registered" errors.
 */
function getOrCreate<T>(name: string, create: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? create();
}

export function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  return getOrCreate(config.name, () => new Counter({ ...config, registers: [metricsRegistry] }));
}

export function gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
  return getOrCreate(config.name, () => new Gauge({ ...config, registers: [metricsRegistry] }));
}

export function histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
  return getOrCreate(config.name, () => new Histogram({ ...config, registers: [metricsRegistry] }));
}
