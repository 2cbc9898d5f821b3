/**
 * The `agora` command. Errors from an action are printed as `error: <message>` and exit 1; commander reports
 * unknown options and missing values.
 */
import { errorMessage } from '../core/errors.js';
import { buildProgram } from './program.js';

try {
  await (await buildProgram(process.argv[2])).parseAsync(process.argv);
} catch (e: unknown) {
  process.stderr.write(`error: ${errorMessage(e)}\n`);
  process.exit(1);
}
