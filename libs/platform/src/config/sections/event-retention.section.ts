import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

class EventRetentionEnvDto {
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,3}$/, { message: 'USAGE_EVENTS_RETENTION_MONTHS must be a whole number of months from 1 to 9999, or unset to keep every event' })
  USAGE_EVENTS_RETENTION_MONTHS?: string;

  @IsInt() @Min(1) @Max(12)
  USAGE_EVENTS_PARTITIONS_AHEAD!: number;
}

/** How the workers keep the monthly partitions of usage_events (maintain-usage-event-partitions). */
export interface EventRetentionConfig {
  eventRetention: {
    /**
     * Whole months dropped once they ended more than this many months before the current month
     * began, unless a period still needs them; null (the default) keeps every event.
     */
    retentionMonths: number | null;
    /** Months created ahead of the current one, so events never wait for a partition. */
    partitionsAhead: number;
  };
}

export const eventRetentionSection = configSection({
  name: 'eventRetention',
  dto: EventRetentionEnvDto,
  // No default for the retention: unset keeps everything (it stays a string, checked by its pattern).
  defaults: { USAGE_EVENTS_PARTITIONS_AHEAD: '2' },
  toConfig: (env): EventRetentionConfig => ({
    eventRetention: {
      retentionMonths: env.USAGE_EVENTS_RETENTION_MONTHS === undefined ? null : Number(env.USAGE_EVENTS_RETENTION_MONTHS),
      partitionsAhead: env.USAGE_EVENTS_PARTITIONS_AHEAD,
    },
  }),
});
