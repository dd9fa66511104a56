/** The Pando release this master belongs to, reported as `version` in /master/state. */
export const MASTER_VERSION = '0.1.0';
