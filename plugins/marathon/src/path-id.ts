/**
 * Marathon path ids (`/team/web`): apps live in a tree of groups, addressed like file paths.
 * Ids in request bodies may be relative (`web`, `../db`) and are resolved against a base group.
 */

/** Marathon's rule for one path segment (a DNS label, optionally dotted), quoted in its errors. */
export const PATH_SEGMENT_PATTERN = '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';
const SEGMENT = /^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
export const PATH_SEGMENT_ERROR = `must fully match regular expression '${PATH_SEGMENT_PATTERN}'`;

/**
 * Pando ids derived from app ids (task ids, `team_web:<uuid>`) must fit in 200 characters with a
 * 36-character uuid and a separator; Marathon itself sets no limit.
 */
export const MAX_APP_ID_LENGTH = 160;

export const ROOT_ID = '/';

/** Problems with one id, empty when valid. Checks the raw form (before resolution). */
export function pathIdProblems(raw: string): string[] {
  if (raw.length === 0) return ['must not be empty'];
  const segments = raw.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
  if (segments.some((s) => s !== '.' && s !== '..' && !SEGMENT.test(s))) return [PATH_SEGMENT_ERROR];
  return [];
}

/**
 * Resolves `raw` against `base` (a group id) into the canonical absolute form: leading '/', no
 * trailing '/', no '.' or '..'. Throws on ids that climb above the root.
 */
export function resolvePathId(raw: string, base: string = ROOT_ID): string {
  const absolute = raw.startsWith('/');
  const parts = absolute ? [] : splitPath(base);
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) throw new RangeError(`'${raw}' climbs above the root group`);
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  return `/${parts.join('/')}`;
}

/** Segments of a canonical id: `/a/b` -> ['a', 'b'], `/` -> []. */
export function splitPath(id: string): string[] {
  return id.split('/').filter((s) => s.length > 0);
}

/** The group an app or group lives in: `/a/b` -> `/a`, `/a` -> `/`. */
export function parentId(id: string): string {
  const parts = splitPath(id);
  return `/${parts.slice(0, -1).join('/')}`;
}

/** True when `ancestor` is `id` or one of its enclosing groups. */
export function isSameOrAncestor(ancestor: string, id: string): boolean {
  if (ancestor === ROOT_ID) return true;
  return id === ancestor || id.startsWith(`${ancestor}/`);
}

/**
 * The app id in Marathon's task-id form: `/team/web` -> `team_web`. Reversible because '_' can
 * never appear in a path segment.
 */
export function flattenAppId(id: string): string {
  return splitPath(id).join('_');
}

export function unflattenAppId(flat: string): string {
  return `/${flat.split('_').join('/')}`;
}

/** Marathon's Mesos task name for an app: the path reversed as a host name, `/team/web` -> `web.team`. */
export function appIdToHostname(id: string): string {
  return splitPath(id).reverse().join('.');
}
