// Builds the Node bundles once before the tests: integration tests fork the
// real CLI and inference worker from dist/.
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildAll({ quiet: true });
}
