import type { ValueTransformer } from 'typeorm';

/**
 * Reads a Postgres `bigint` column as a number. pg hands bigint over as a string because it can
 * exceed 2^53; counts, quantities and limits here stay far below that, so a number is exact.
 * Every such column is NOT NULL: a null (a relation's missing row) reads as 0.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | null) => Number(value ?? 0),
};
