import fc from 'fast-check';
import { isSubjectSafeId } from '@pando/common';
import { appIdToHostname, flattenAppId, isSameOrAncestor, parentId, pathIdProblems, resolvePathId, unflattenAppId } from './path-id';
import { appIdOfTask, instanceIdOfTask, newMarathonTaskId, newPandoTaskId, toMarathonTaskId, toPandoTaskId } from './task-id';

const segment = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,4})?$/);
const appIdArb = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);

describe('task ids', () => {
  it("are Marathon-shaped in JSON and subject-safe for Pando, both ways", () => {
    fc.assert(
      fc.property(appIdArb, fc.uuid(), (appId, uuid) => {
        const marathonId = newMarathonTaskId(appId, uuid);
        const pandoId = toPandoTaskId(marathonId);
        expect(isSubjectSafeId(pandoId)).toBe(true);
        expect(toMarathonTaskId(pandoId)).toBe(marathonId);
        expect(appIdOfTask(pandoId)).toBe(appId);
        expect(appIdOfTask(marathonId)).toBe(appId);
      }),
    );
  });

  it('follow the examples', () => {
    expect(newMarathonTaskId('/team/web', 'u-1')).toBe('team_web.u-1');
    expect(newPandoTaskId('/my.app', 'u-1')).toBe('my:app:u-1');
    expect(instanceIdOfTask('my:app:u-1')).toBe('my.app.marathon-u-1');
    expect(appIdOfTask('no-dot')).toBeUndefined();
  });
});

describe('path ids', () => {
  it('resolve relative ids and navigate the tree', () => {
    expect(resolvePathId('a/./b/../c', '/g')).toBe('/g/a/c');
    expect(parentId('/a/b')).toBe('/a');
    expect(parentId('/a')).toBe('/');
    expect(isSameOrAncestor('/a', '/a/b')).toBe(true);
    expect(isSameOrAncestor('/a', '/ab')).toBe(false);
    expect(flattenAppId('/a/b.c')).toBe('a_b.c');
    expect(unflattenAppId('a_b.c')).toBe('/a/b.c');
    expect(appIdToHostname('/team/web')).toBe('web.team');
    expect(pathIdProblems('a//b')).toHaveLength(1);
    expect(pathIdProblems('UPPER')).toHaveLength(1);
    expect(pathIdProblems('../a.b/c-d')).toEqual([]);
  });
});
