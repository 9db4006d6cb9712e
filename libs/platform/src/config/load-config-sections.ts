import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigError } from './config-error';
import type { ConfigSection, ConfigValues } from './config-section';

type SectionConfig<S> = S extends ConfigSection<infer T> ? T : never;
type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;

/** The typed config of a list of sections: the intersection of their slices. */
export type ConfigOf<S extends readonly ConfigSection<object>[]> = UnionToIntersection<SectionConfig<S[number]>>;

const INTEGER = /^-?\d+$/;

function withDefaults(sections: readonly ConfigSection<object>[], env: NodeJS.ProcessEnv): ConfigValues {
  const defaults: Record<string, string> = {};
  for (const section of sections) Object.assign(defaults, section.defaults);
  const values: Record<string, string | number> = {};
  // An empty variable counts as unset: it gets its default (NODE_ENV= is development, not invalid).
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  for (const [key, value] of Object.entries({ ...defaults, ...given })) {
    if (value === undefined || value === '') continue;
    const integer = defaults[key] !== undefined && INTEGER.test(defaults[key]);
    values[key] = integer && INTEGER.test(value) ? Number(value) : value;
  }
  return values;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads and validates the variables of `sections` (and no others) once. Throws one ConfigError
 * naming every bad or missing variable. Slices are merged one level deep, so two sections may
 * fill parts of one object (`stripe.webhookSecret` for the API, the rest of `stripe` for workers).
 */
export function loadConfigSections<const S extends readonly ConfigSection<object>[]>(
  sections: S,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const unique = [...new Set(sections)];
  const values = withDefaults(unique, env);
  const problems = new Set<string>();
  const validated = unique.map((section) => {
    const dto = plainToInstance(section.dto, values);
    for (const error of validateSync(dto, { forbidUnknownValues: false })) {
      for (const message of Object.values(error.constraints ?? {})) {
        problems.add(message.startsWith(error.property) ? message : `${error.property}: ${message}`);
      }
    }
    for (const problem of section.check(dto, values)) problems.add(problem);
    return { section, dto };
  });
  if (problems.size > 0) throw new ConfigError([...problems]);

  const config: Record<string, unknown> = {};
  for (const { section, dto } of validated) {
    for (const [key, slice] of Object.entries(section.toConfig(dto))) {
      const existing = config[key];
      config[key] = isPlainObject(existing) && isPlainObject(slice) ? { ...existing, ...slice } : slice;
    }
  }
  return config as ConfigOf<S>;
}
