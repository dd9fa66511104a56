import { ConflictError } from '@pando/common';
import { usesContainerNetworking, type AppSpec } from './app.types';

/**
 * Service ports: cluster-wide unique ports Marathon gives each port of an app, for load
 * balancers (marathon-lb, VIPs). A port definition with `port: 0` (or a port mapping with
 * `servicePort: 0`) gets the next free one in Marathon's default range; a non-zero value is kept.
 */
export interface PortRange {
  min: number;
  max: number;
}

/** Marathon's `--local_port_min` / `--local_port_max` defaults. */
export const SERVICE_PORT_RANGE: PortRange = { min: 10000, max: 20000 };

/** The app's service ports, in port order; 0 where none is assigned yet. */
export function servicePortsOf(app: AppSpec): number[] {
  if (usesContainerNetworking(app)) return (app.container?.portMappings ?? []).map((m) => m.servicePort);
  return app.portDefinitions.map((d) => d.port);
}

/**
 * Fills every 0 service port. `usedByOthers` are the ports of all other apps; `previous` is the
 * app's former version, whose ports are reused index by index so that an update does not move
 * a load balancer's frontends. Throws ConflictError when the range is exhausted.
 */
export function assignServicePorts(app: AppSpec, usedByOthers: ReadonlySet<number>, previous?: AppSpec, range: PortRange = SERVICE_PORT_RANGE): AppSpec {
  const taken = new Set<number>([...usedByOthers, ...servicePortsOf(app).filter((p) => p !== 0)]);
  const before = previous ? servicePortsOf(previous) : [];
  let cursor = range.min;
  const pick = (index: number): number => {
    const reuse = before[index];
    if (reuse !== undefined && reuse !== 0 && !taken.has(reuse)) {
      taken.add(reuse);
      return reuse;
    }
    while (cursor <= range.max && taken.has(cursor)) cursor++;
    if (cursor > range.max) throw new ConflictError(`no free service port left in ${range.min}-${range.max} for app '${app.id}'`);
    taken.add(cursor);
    return cursor;
  };
  if (usesContainerNetworking(app)) {
    if (!app.container?.portMappings) return app;
    const portMappings = app.container.portMappings.map((m, i) => (m.servicePort === 0 ? { ...m, servicePort: pick(i) } : m));
    return { ...app, container: { ...app.container, portMappings } };
  }
  return { ...app, portDefinitions: app.portDefinitions.map((d, i) => (d.port === 0 ? { ...d, port: pick(i) } : d)) };
}
