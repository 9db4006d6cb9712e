/** The environment as a section sees it: defaults applied, empty values dropped, integers converted. */
export type ConfigValues = Readonly<Record<string, string | number | undefined>>;

/**
 * One concern's configuration: the variables it reads (a class-validator DTO), their defaults, and
 * the typed slice of config they become. A process loads the sections it uses, and only those.
 */
export interface ConfigSection<T extends object> {
  /** What the section configures, e.g. `database`. */
  readonly name: string;
  readonly dto: new () => object;
  /**
   * Defaults of the optional variables; anything the DTO requires and not listed must be set.
   * A variable whose default is an integer is converted to a number before validation, so a
   * non-number fails `@IsInt()` with the variable's name.
   */
  readonly defaults: Readonly<Record<string, string>>;
  /** Rules across variables (or on the raw environment) that decorators cannot say. */
  check(values: object, env: ConfigValues): string[];
  /** Maps validated values to the section's typed slice; called only when nothing failed. */
  toConfig(values: object): T;
}

interface ConfigSectionSpec<D extends object, T extends object> {
  name: string;
  dto: new () => D;
  defaults?: Record<string, string>;
  check?: (values: D, env: ConfigValues) => string[];
  toConfig: (values: D) => T;
}

/** Declares a section with its DTO's type carried through to `check` and `toConfig`. */
export function configSection<D extends object, T extends object>(spec: ConfigSectionSpec<D, T>): ConfigSection<T> {
  return {
    name: spec.name,
    dto: spec.dto,
    defaults: spec.defaults ?? {},
    check: (values, env) => spec.check?.(values as D, env) ?? [],
    toConfig: (values) => spec.toConfig(values as D),
  };
}
