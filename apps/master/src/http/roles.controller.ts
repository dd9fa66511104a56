import { Controller, Get } from '@nestjs/common';
import { RolesStateView } from '../state/roles-state.view';

/** Mesos's /master/roles (also /roles, with .json variants). */
@Controller()
export class RolesController {
  constructor(private readonly view: RolesStateView) {}

  @Get(['master/roles', 'master/roles.json', 'roles', 'roles.json'])
  roles(): { roles: Array<Record<string, unknown>> } {
    return { roles: this.view.build() };
  }
}
