import type { Offer } from '@pando/protocol';
import type { AppDefinition } from './app.types';
import type { QueueSnapshot, UnusedOffer } from './launch-queue';
import { iso, renderApp, type AppEmbed, type AppStatus } from './marathon-json.view';
import { isSameOrAncestor, parentId, ROOT_ID, splitPath } from './path-id';

/**
 * Marathon's `/v2/queue`, `/v2/groups` and `/v2/info` JSON, with only Marathon's field names.
 */

type Json = Record<string, unknown>;

export interface QueueItem {
  app: AppDefinition;
  /** Instances left to launch. */
  count: number;
  snapshot: QueueSnapshot;
}

/** `GET /v2/queue`; `embed=lastUnusedOffers` adds the offers that were declined. */
export function renderQueue(items: readonly QueueItem[], options: { embedLastUnusedOffers?: boolean } = {}): Json {
  return { queue: items.map((item) => renderQueueItem(item, options.embedLastUnusedOffers === true)) };
}

function renderQueueItem({ app, count, snapshot }: QueueItem, withUnused: boolean): Json {
  const summary = snapshot.processedOffersSummary;
  const processedOffersSummary: Json = { processedOffersCount: summary.processedOffersCount, unusedOffersCount: summary.unusedOffersCount };
  if (summary.lastUnusedOfferAt !== undefined) processedOffersSummary.lastUnusedOfferAt = iso(summary.lastUnusedOfferAt);
  if (summary.lastUsedOfferAt !== undefined) processedOffersSummary.lastUsedOfferAt = iso(summary.lastUsedOfferAt);
  processedOffersSummary.rejectSummaryLastOffers = summary.rejectSummaryLastOffers.map((s) => ({ ...s }));
  processedOffersSummary.rejectSummaryLaunchAttempt = summary.rejectSummaryLaunchAttempt.map((s) => ({ ...s }));
  const json: Json = {
    count,
    delay: { ...snapshot.delay },
    since: iso(snapshot.since),
    processedOffersSummary,
    app: renderApp(app, { tasks: [], deploymentIds: [] }, new Set()),
  };
  if (withUnused) json.lastUnusedOffers = snapshot.lastUnusedOffers.map(renderUnusedOffer);
  return json;
}

function renderUnusedOffer(unused: UnusedOffer): Json {
  return { offer: renderOffer(unused.offer), reason: [...unused.reasons], timestamp: iso(unused.timestamp) };
}

/** An offer as Marathon shows it in the queue (its `Offer` type, not Mesos's). */
export function renderOffer(offer: Offer): Json {
  return {
    id: offer.id,
    hostname: offer.hostname,
    agentId: offer.agentId,
    resources: offer.resources.map((r) => {
      const json: Json = { name: r.name, role: r.role ?? '*' };
      if (r.scalar) json.scalar = r.scalar.value;
      if (r.ranges) json.ranges = r.ranges.range.map(({ begin, end }) => ({ begin, end }));
      if (r.set) json.set = [...r.set.item];
      return json;
    }),
    attributes: Object.entries(offer.attributes).map(([name, value]) => (typeof value === 'number' ? { name, scalar: value } : { name, text: value })),
  };
}

export interface GroupEntry {
  app: AppDefinition;
  status: AppStatus;
}

export interface GroupRenderOptions {
  /** What to show: Marathon's group.apps / group.groups embeds (both by default). */
  embedApps?: boolean;
  embedGroups?: boolean;
  appEmbed?: ReadonlySet<AppEmbed>;
  /** Explicit versions of groups; otherwise a group's version is the newest of its apps. */
  groupVersions?: ReadonlyMap<string, string>;
  /** Dependencies declared on groups (apps carry their own). */
  groupDependencies?: ReadonlyMap<string, readonly string[]>;
}

/**
 * `GET /v2/groups[/{id}]`: the group tree implied by the apps' path ids (every prefix of an
 * app id is a group), rooted at `groupId`. Undefined when no app lives under a non-root group.
 */
export function renderGroup(groupId: string, entries: readonly GroupEntry[], options: GroupRenderOptions = {}): Json | undefined {
  const inside = entries.filter((e) => isSameOrAncestor(groupId, parentId(e.app.id)));
  if (groupId !== ROOT_ID && inside.length === 0) return undefined;
  return renderGroupNode(groupId, inside, options);
}

function renderGroupNode(groupId: string, entries: readonly GroupEntry[], options: GroupRenderOptions): Json {
  const depth = splitPath(groupId).length;
  const direct = entries.filter((e) => parentId(e.app.id) === groupId);
  const childIds = [...new Set(entries.filter((e) => parentId(e.app.id) !== groupId).map((e) => `/${splitPath(e.app.id).slice(0, depth + 1).join('/')}`))].sort();
  const json: Json = { id: groupId };
  if (options.embedApps !== false) {
    json.apps = [...direct].sort((a, b) => (a.app.id < b.app.id ? -1 : 1)).map((e) => renderApp(e.app, e.status, options.appEmbed ?? new Set()));
  }
  if (options.embedGroups !== false) {
    json.groups = childIds.map((id) => renderGroupNode(id, entries.filter((e) => isSameOrAncestor(id, e.app.id)), options));
  }
  json.pods = [];
  json.dependencies = [...(options.groupDependencies?.get(groupId) ?? [])];
  json.version = options.groupVersions?.get(groupId) ?? newestVersion(entries);
  return json;
}

function newestVersion(entries: readonly GroupEntry[]): string {
  const versions = entries.map((e) => e.app.version).sort();
  return versions[versions.length - 1] ?? iso(0);
}

export interface InfoInput {
  /** The Marathon API level Pando emulates, which clients compare against. */
  version?: string;
  /** Pando's own version, shown as buildref. */
  pandoVersion: string;
  frameworkId?: string;
  /** `host:port` of the leading framework host. */
  leader?: string;
  elected: boolean;
  /** Where the plugin keeps its state (Marathon shows its ZooKeeper URL there). */
  stateStoreUrl: string;
  httpPort: number;
  /** The master's address, for `marathon_config.master`. */
  master?: string;
  frameworkName?: string;
  role?: string;
  failoverTimeoutSeconds?: number;
  features?: readonly string[];
}

/** The Marathon API version `/v2/info` reports by default. */
export const EMULATED_MARATHON_VERSION = '1.10.0';

/** `GET /v2/info`. Timeouts Pando does not have are reported as Marathon's defaults. */
export function renderInfo(input: InfoInput): Json {
  const json: Json = {
    name: 'marathon',
    version: input.version ?? EMULATED_MARATHON_VERSION,
    buildref: `pando-${input.pandoVersion}`,
    elected: input.elected,
  };
  if (input.leader !== undefined) json.leader = input.leader;
  if (input.frameworkId !== undefined) json.frameworkId = input.frameworkId;
  json.marathon_config = {
    ...(input.master !== undefined ? { master: input.master } : {}),
    failover_timeout: input.failoverTimeoutSeconds ?? 604800,
    framework_name: input.frameworkName ?? 'marathon',
    ha: true,
    checkpoint: true,
    local_port_min: 10000,
    local_port_max: 20000,
    executor: '//cmd',
    features: [...(input.features ?? [])],
    ...(input.role !== undefined ? { mesos_role: input.role } : {}),
    task_launch_timeout: 300000,
    task_lost_expunge_initial_delay: 300000,
    task_lost_expunge_interval: 30000,
  };
  json.zookeeper_config = {
    zk: input.stateStoreUrl,
    zk_connection_timeout: 10000,
    zk_max_versions: 50,
    zk_session_timeout: 10000,
    zk_timeout: 10000,
  };
  json.http_config = { http_port: input.httpPort, https_port: 8443 };
  return json;
}
