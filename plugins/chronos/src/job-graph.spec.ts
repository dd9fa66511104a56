import { ConflictError, InputError, NotFoundError } from '@pando/common';
import { isReadyToRun, JobGraph, renderGraphCsv, renderGraphDot } from './job-graph';

/** a (scheduled) -> b -> c, and d (scheduled) -> c */
function sampleGraph(): JobGraph {
  const graph = new JobGraph();
  graph.put({ name: 'a', parents: [] });
  graph.put({ name: 'd', parents: [] });
  graph.put({ name: 'b', parents: ['a'] });
  graph.put({ name: 'c', parents: ['b', 'd'] });
  return graph;
}

describe('JobGraph', () => {
  it('tracks parents and children', () => {
    const graph = sampleGraph();
    expect(graph.childrenOf('a')).toEqual(['b']);
    expect(graph.childrenOf('b')).toEqual(['c']);
    expect(graph.childrenOf('c')).toEqual([]);
    expect(graph.parentsOf('c')).toEqual(['b', 'd']);
    expect(graph.edges()).toEqual([['a', 'b'], ['b', 'c'], ['d', 'c']]);
  });

  it('refuses unknown parents, naming them, and changes nothing', () => {
    const graph = sampleGraph();
    expect(() => graph.put({ name: 'e', parents: ['a', 'nope', 'gone'] })).toThrow(
      new InputError("job 'e': parents: unknown parent jobs 'nope', 'gone'"),
    );
    expect(graph.has('e')).toBe(false);
    expect(graph.childrenOf('a')).toEqual(['b']);
  });

  it('refuses a cycle, naming its path, and changes nothing', () => {
    const graph = sampleGraph();
    // Making a depend on c closes a -> b -> c -> a.
    let error: unknown;
    try {
      graph.put({ name: 'a', parents: ['c'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe("job 'a': parents: 'c' would close a dependency cycle: a -> b -> c -> a");
    expect(graph.parentsOf('a')).toEqual([]);
    expect(graph.childrenOf('c')).toEqual([]);
  });

  it('refuses a job that is its own parent', () => {
    expect(() => sampleGraph().put({ name: 'b', parents: ['b'] })).toThrow("'b' would close a dependency cycle: b -> b");
  });

  it('reports unknown parents and cycles together', () => {
    expect(sampleGraph().check({ name: 'b', parents: ['c', 'zzz'] })).toEqual([
      "parents: unknown parent job 'zzz'",
      "parents: 'c' would close a dependency cycle: b -> c -> b",
    ]);
  });

  it('replaces the parents of an existing job', () => {
    const graph = sampleGraph();
    graph.put({ name: 'c', parents: ['a'] });
    expect(graph.childrenOf('b')).toEqual([]);
    expect(graph.childrenOf('d')).toEqual([]);
    expect(graph.childrenOf('a')).toEqual(['b', 'c']);
  });

  it('hands the parents of a removed dependent job down to its children', () => {
    const graph = sampleGraph();
    expect(graph.remove('b')).toEqual({ reparented: [{ name: 'c', parents: ['d', 'a'] }] });
    expect(graph.has('b')).toBe(false);
    expect(graph.childrenOf('a')).toEqual(['c']);
  });

  it('refuses to remove a scheduled job that would leave a child without parents', () => {
    const graph = new JobGraph();
    graph.put({ name: 'root', parents: [] });
    graph.put({ name: 'leaf', parents: ['root'] });
    expect(() => graph.remove('root')).toThrow(ConflictError);
    expect(() => graph.remove('root')).toThrow("dependent job 'leaf' would have no parent left");
    expect(graph.has('root')).toBe(true);
    expect(() => graph.remove('nope')).toThrow(NotFoundError);
  });

  it('removes a scheduled job whose children have other parents', () => {
    const graph = sampleGraph();
    graph.remove('b');
    expect(graph.remove('d')).toEqual({ reparented: [{ name: 'c', parents: ['a'] }] });
  });

  it('loads stored jobs in any order, keeping the ones it cannot place without parents', () => {
    const { graph, rejected } = JobGraph.load([
      { name: 'c', parents: ['b'] },
      { name: 'x', parents: ['missing'] },
      { name: 'b', parents: ['a'] },
      { name: 'a', parents: [] },
    ]);
    expect(graph.edges()).toEqual([['a', 'b'], ['b', 'c']]);
    expect(rejected).toEqual([{ name: 'x', problems: ["parents: unknown parent job 'missing'"] }]);
    expect(graph.parentsOf('x')).toEqual([]);
  });
});

describe('isReadyToRun', () => {
  const completed = (entries: Array<[string, number | undefined]>) => new Map(entries);

  it('waits for every parent to complete once before a first run', () => {
    expect(isReadyToRun(['a', 'b'], completed([['a', 100]]))).toBe(false);
    expect(isReadyToRun(['a', 'b'], completed([['a', 100], ['b', undefined]]))).toBe(false);
    expect(isReadyToRun(['a', 'b'], completed([['a', 100], ['b', 50]]))).toBe(true);
    expect(isReadyToRun(['a', 'b'], { a: 100, b: 50 }, 75)).toBe(false);
  });

  it('then waits for every parent to complete again after the child last started', () => {
    const graph = sampleGraph();
    const times = completed([['b', 2_000], ['d', 900]]);
    expect(graph.readyToRun('c', times, 1_000)).toBe(false); // d completed before c's last run
    times.set('d', 1_500);
    expect(graph.readyToRun('c', times, 1_000)).toBe(true);
    expect(graph.readyToRun('c', times, 2_000)).toBe(false);
  });

  it('never runs a job without parents as a dependent', () => {
    expect(isReadyToRun([], completed([]))).toBe(false);
  });
});

describe('graph renderers', () => {
  it('writes the CSV of /v1/scheduler/graph/csv', () => {
    const status = { a: ['success', 'idle'], b: ['failure', '1 running'], c: ['fresh', 'queued'], d: ['success', 'idle'] } as const;
    const csv = renderGraphCsv(sampleGraph(), (name) => {
      const [lastStatus, state] = status[name as keyof typeof status];
      return { lastStatus, state };
    });
    expect(csv).toBe(
      ['node,a,success,idle', 'node,b,failure,1 running', 'node,c,fresh,queued', 'node,d,success,idle', 'link,a,b', 'link,b,c', 'link,d,c', ''].join('\n'),
    );
  });

  it('writes the DOT of /v1/scheduler/graph/dot', () => {
    expect(renderGraphDot(sampleGraph())).toBe(
      [
        'digraph G {',
        '  1 [ label="a" ];',
        '  2 [ label="b" ];',
        '  3 [ label="c" ];',
        '  4 [ label="d" ];',
        '  1 -> 2;',
        '  2 -> 3;',
        '  4 -> 3;',
        '}',
        '',
      ].join('\n'),
    );
  });
});
