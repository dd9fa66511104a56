import type { AllocationBooks } from './allocation-books';
import type { DrfSorter } from './drf-sorter';
import type { RoleNode } from './role-tree';
import { addVector, difference, dominantShare, type ScalarVector } from './scalar-space';

/**
 * Recomputes from scratch every aggregate the allocator keeps incrementally (free scalars per
 * agent, cluster totals, framework and role allocations, reservations, sort orders) and lists
 * every mismatch. Slow; for tests and debugging. An empty list means the books are consistent.
 */
export function auditBooks(books: AllocationBooks): string[] {
  const problems: string[] = [];
  const expectEqual = (what: string, actual: ScalarVector, expected: ScalarVector) => {
    const n = Math.max(actual.length, expected.length);
    for (let i = 0; i < n; i++) {
      if ((actual[i] ?? 0) !== (expected[i] ?? 0)) {
        problems.push(`${what}: [${actual.join(',')}] != [${expected.join(',')}]`);
        return;
      }
    }
  };

  const totals: ScalarVector = [];
  for (const agent of books.agents.values()) {
    const split = books.space.split(agent.available);
    expectEqual(`agent ${agent.id} free unreserved`, agent.availableUnreserved, difference(split.all, split.reserved));
    addVector(totals, agent.totalVector);
  }
  expectEqual('cluster totals', books.totals.vector, totals);

  for (const framework of books.frameworks.values()) {
    for (const [role, client] of framework.clients) {
      const sum: ScalarVector = [];
      for (const record of framework.records) if (record.role === role) addVector(sum, record.vector);
      expectEqual(`framework ${framework.id} in ${role}`, client.allocation, sum);
      if (client.active !== framework.wantsOffers(role)) problems.push(`framework ${framework.id} in ${role}: active flag`);
    }
  }
  for (const node of books.tree.all()) auditNode(books, node, expectEqual, problems);
  auditOrder(books, 'top-level roles', books.tree.root.childSorter, problems);
  return problems;
}

type ExpectEqual = (what: string, actual: ScalarVector, expected: ScalarVector) => void;

function auditNode(books: AllocationBooks, node: RoleNode, expectEqual: ExpectEqual, problems: string[]): void {
  const inSubtree = (role: string) => role === node.path || role.startsWith(`${node.path}/`);
  const own: ScalarVector = [];
  const subtree: ScalarVector = [];
  const allocatedReserved: ScalarVector = [];
  for (const framework of books.frameworks.values()) {
    for (const record of framework.records) {
      if (record.role === node.path) addVector(own, record.vector);
      if (!inSubtree(record.role)) continue;
      addVector(subtree, record.vector);
      if (record.reservedVector) addVector(allocatedReserved, record.reservedVector);
    }
  }
  const reserved: ScalarVector = [];
  for (const agent of books.agents.values()) {
    for (const [role, vector] of agent.reservedByRole) if (inSubtree(role)) addVector(reserved, vector);
  }
  expectEqual(`role ${node.path} own allocation`, node.selfEntry.allocation, own);
  expectEqual(`role ${node.path} subtree allocation`, node.allocation, subtree);
  expectEqual(`role ${node.path} allocated reservations`, node.allocatedReserved, allocatedReserved);
  expectEqual(`role ${node.path} reservations`, node.reserved, reserved);
  if (node.selfEntry.active !== node.frameworks.activeCount > 0) problems.push(`role ${node.path}: self entry active flag`);
  if (node.entry!.active !== node.childSorter.activeCount > 0) problems.push(`role ${node.path}: entry active flag`);
  auditOrder(books, `role ${node.path} frameworks`, node.frameworks, problems);
  auditOrder(books, `role ${node.path} children`, node.childSorter, problems);
}

function auditOrder<T>(books: AllocationBooks, what: string, sorter: DrfSorter<T>, problems: string[]): void {
  const order = sorter.sorted();
  for (let i = 0; i < order.length; i++) {
    const client = order[i]!;
    const share = dominantShare(client.allocation, books.totals.vector, client.weight);
    if (!client.active) problems.push(`${what}: inactive client in order`);
    if (Math.abs(share - client.share) > 1e-12) problems.push(`${what}: stale share ${client.share} != ${share}`);
    const previous = order[i - 1];
    if (previous && (previous.share > client.share || (previous.share === client.share && previous.seq > client.seq))) {
      problems.push(`${what}: out of order at ${i}`);
    }
  }
}
