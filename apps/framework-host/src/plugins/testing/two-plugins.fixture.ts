import { defineFrameworkPlugin } from '@pando/sdk';
import { somethingElseEntirely } from './good-plugin.fixture';

export const first = somethingElseEntirely;
export const second = defineFrameworkPlugin({ ...somethingElseEntirely, id: 'fixture-second' });
