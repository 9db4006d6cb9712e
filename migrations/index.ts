import { InitialSchema1764400000000 } from './1764400000000-initial-schema';

/** Every migration in order; the DataSource runs them. New migrations are appended here. */
export const MIGRATIONS = [InitialSchema1764400000000];
