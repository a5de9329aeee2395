/** Numbered migrations; entry i brings the schema to user_version i + 1. */
import * as m001 from './001-initial.js';
import * as m002 from './002-calibration.js';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: '001-initial', up: m001.up },
  { version: 2, name: '002-calibration', up: m002.up },
];

export const latestSchemaVersion = migrations.length;
