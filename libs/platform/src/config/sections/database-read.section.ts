import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { postgresServerName } from '../../database/postgres-url';
import { configSection } from '../config-section';

class DatabaseReadEnvDto {
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_READ_URL must be a postgres:// URL (a streaming replica of DATABASE_URL)' })
  DATABASE_READ_URL?: string;

  @IsInt() @Min(100) @Max(600_000)
  DATABASE_READ_MAX_LAG_MS!: number;

  @IsInt() @Min(50) @Max(60_000)
  DATABASE_READ_CHECK_MS!: number;
}

/**
 * The streaming replica the API's lag-tolerant reads go to (usage, history, periods, the events
 * list and export), if any. Reads fall back to the primary while the replica is unreachable or
 * lags more than `maxLagMs`, judged every `checkMs` in the background.
 */
export interface DatabaseReadConfig {
  databaseRead: { url: string | null; maxLagMs: number; checkMs: number };
}

export const databaseReadSection = configSection({
  name: 'database-read',
  dto: DatabaseReadEnvDto,
  defaults: { DATABASE_READ_MAX_LAG_MS: '2000', DATABASE_READ_CHECK_MS: '500' },
  check: (values, env) => {
    const problems: string[] = [];
    // A lag is measured to within one check interval: a bound below two of them would flap.
    if (values.DATABASE_READ_CHECK_MS * 2 > values.DATABASE_READ_MAX_LAG_MS) {
      problems.push('DATABASE_READ_CHECK_MS must be at most half of DATABASE_READ_MAX_LAG_MS (the lag is measured once per check)');
    }
    const primary = env.DATABASE_URL;
    if (values.DATABASE_READ_URL && typeof primary === 'string' && postgresServerName(values.DATABASE_READ_URL) === postgresServerName(primary)) {
      problems.push('DATABASE_READ_URL names the same server and database as DATABASE_URL: leave it unset to read from the primary');
    }
    return problems;
  },
  toConfig: (env): DatabaseReadConfig => ({
    databaseRead: { url: env.DATABASE_READ_URL ?? null, maxLagMs: env.DATABASE_READ_MAX_LAG_MS, checkMs: env.DATABASE_READ_CHECK_MS },
  }),
});
