/** Nest injection token of the parsed ChronosOptions. */
export const CHRONOS_OPTIONS = 'PANDO_CHRONOS_OPTIONS';
