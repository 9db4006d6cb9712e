/** The source of "now". Time-dependent logic takes one so tests can move time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
