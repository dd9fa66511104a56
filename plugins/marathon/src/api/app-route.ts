import { resolvePathId } from '../path-id';

/**
 * What a `/v2/apps/...` path addresses. App ids contain slashes, so the route is found from the
 * end: `.../restart`, `.../tasks`, `.../tasks/{taskId}`, `.../versions`, `.../versions/{v}`,
 * else the whole path is the app id. When the suffix reading names no app but the whole path
 * does (an app called `/x/tasks`), the app wins, as Marathon's more specific route would.
 */
export type AppRoute =
  | { kind: 'app'; appId: string }
  | { kind: 'restart'; appId: string }
  | { kind: 'tasks'; appId: string }
  | { kind: 'task'; appId: string; taskId: string }
  | { kind: 'versions'; appId: string }
  | { kind: 'version'; appId: string; version: string };

export function parseAppRoute(rest: string, isApp: (id: string) => boolean): AppRoute {
  const segments = rest
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => safeDecode(s));
  const id = (parts: string[]): string => resolvePathId(`/${parts.join('/')}`);
  const whole: AppRoute = { kind: 'app', appId: id(segments) };
  const route = suffixRoute(segments, id);
  if (!route || (!isApp(route.appId) && isApp(whole.appId))) return whole;
  return route;
}

function suffixRoute(segments: string[], id: (parts: string[]) => string): AppRoute | undefined {
  const n = segments.length;
  const last = segments[n - 1];
  const before = segments[n - 2];
  if (n >= 2 && last === 'restart') return { kind: 'restart', appId: id(segments.slice(0, -1)) };
  if (n >= 2 && last === 'tasks') return { kind: 'tasks', appId: id(segments.slice(0, -1)) };
  if (n >= 2 && last === 'versions') return { kind: 'versions', appId: id(segments.slice(0, -1)) };
  if (n >= 3 && before === 'tasks') return { kind: 'task', appId: id(segments.slice(0, -2)), taskId: last! };
  if (n >= 3 && before === 'versions') return { kind: 'version', appId: id(segments.slice(0, -2)), version: last! };
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
