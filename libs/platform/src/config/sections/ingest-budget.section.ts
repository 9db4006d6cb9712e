import { IsInt, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

/** One request may carry 1,000 events and 5 MB, so a budget must hold at least one full request. */
const MIN_EVENTS_PER_MINUTE = 1000;
const MIN_BYTES_PER_MINUTE = 5 * 1024 * 1024;

class IngestBudgetEnvDto {
  @IsInt() @Min(MIN_EVENTS_PER_MINUTE, { message: `INGEST_EVENTS_PER_MINUTE must be at least ${MIN_EVENTS_PER_MINUTE} (one full batch)` })
  INGEST_EVENTS_PER_MINUTE!: number;

  @IsInt() @Min(MIN_BYTES_PER_MINUTE, { message: `INGEST_BYTES_PER_MINUTE must be at least ${MIN_BYTES_PER_MINUTE} (one full 5 MB body)` })
  INGEST_BYTES_PER_MINUTE!: number;

  /** Ingest answers 503 once Redis' used_memory reaches this percentage of its maxmemory. */
  @IsInt() @Min(1) @Max(99)
  REDIS_MEMORY_SHED_PERCENT!: number;

  /** How often the API samples `INFO memory` (never per request). */
  @IsInt() @Min(100) @Max(60_000)
  REDIS_MEMORY_SAMPLE_MS!: number;
}

/** What one tenant may put into Redis per minute, and when ingest stops for everyone to protect Redis. */
export interface IngestBudgetConfig {
  ingestBudget: { eventsPerMinute: number; bytesPerMinute: number; redisMemoryShedPercent: number; redisMemorySampleMs: number };
}

export const ingestBudgetSection = configSection({
  name: 'ingest-budget',
  dto: IngestBudgetEnvDto,
  defaults: {
    INGEST_EVENTS_PER_MINUTE: '60000',
    INGEST_BYTES_PER_MINUTE: String(64 * 1024 * 1024),
    REDIS_MEMORY_SHED_PERCENT: '85',
    REDIS_MEMORY_SAMPLE_MS: '1000',
  },
  toConfig: (env): IngestBudgetConfig => ({
    ingestBudget: {
      eventsPerMinute: env.INGEST_EVENTS_PER_MINUTE,
      bytesPerMinute: env.INGEST_BYTES_PER_MINUTE,
      redisMemoryShedPercent: env.REDIS_MEMORY_SHED_PERCENT,
      redisMemorySampleMs: env.REDIS_MEMORY_SAMPLE_MS,
    },
  }),
});
