import { parseAppRoute } from './app-route';

describe('parseAppRoute', () => {
  const apps = new Set(['/team/web', '/x/tasks']);
  const route = (rest: string) => parseAppRoute(rest, (id) => apps.has(id));

  it('reads app ids with slashes and the suffixes after them', () => {
    expect(route('team/web')).toEqual({ kind: 'app', appId: '/team/web' });
    expect(route('team/web/')).toEqual({ kind: 'app', appId: '/team/web' });
    expect(route('team/web/restart')).toEqual({ kind: 'restart', appId: '/team/web' });
    expect(route('team/web/tasks')).toEqual({ kind: 'tasks', appId: '/team/web' });
    expect(route('team/web/tasks/team_web.1234')).toEqual({ kind: 'task', appId: '/team/web', taskId: 'team_web.1234' });
    expect(route('team/web/versions')).toEqual({ kind: 'versions', appId: '/team/web' });
    expect(route('team/web/versions/2024-05-01T10:00:00.000Z')).toEqual({ kind: 'version', appId: '/team/web', version: '2024-05-01T10:00:00.000Z' });
  });

  it('lets an app whose last segment looks like a suffix win when the shorter id is no app', () => {
    expect(route('x/tasks')).toEqual({ kind: 'app', appId: '/x/tasks' });
    expect(route('nope/tasks')).toEqual({ kind: 'tasks', appId: '/nope' });
  });
});
