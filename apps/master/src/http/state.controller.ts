import { Controller, Get } from '@nestjs/common';
import { MasterStateView } from '../state/master-state.view';

/** Mesos's state endpoint under the paths tools use for it. */
@Controller()
export class StateController {
  constructor(private readonly view: MasterStateView) {}

  @Get(['master/state', 'master/state.json', 'state', 'state.json'])
  state(): Record<string, unknown> {
    return this.view.build();
  }
}
