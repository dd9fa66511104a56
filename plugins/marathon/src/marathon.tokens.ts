/** Nest injection token of the parsed MarathonOptions. */
export const MARATHON_OPTIONS = 'PANDO_MARATHON_OPTIONS';
