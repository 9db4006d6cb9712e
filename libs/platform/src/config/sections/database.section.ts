import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { configSection } from '../config-section';

class DatabaseEnvDto {
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE!: number;
}

/** Postgres of a process that holds a connection pool (API, workers, demo agent). */
export interface DatabaseConfig {
  database: { url: string; poolSize: number };
}

export const databaseSection = configSection({
  name: 'database',
  dto: DatabaseEnvDto,
  defaults: { DATABASE_POOL_SIZE: '10' },
  toConfig: (env): DatabaseConfig => ({ database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE } }),
});
