/**
 * Benchmark runner: `npm run bench` runs every `bench/*.bench.ts`; `npm run bench -- NAME [NAME...]` runs
 * only `bench/NAME.bench.ts`. Prints each result as a table and writes `bench/results/NAME.json`.
 */
import { readdir, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './harness.js';
import { formatTable } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';

function isBenchModule(m: unknown): m is BenchModule {
  return typeof m === 'object' && m !== null && typeof (m as { run?: unknown }).run === 'function';
}

async function main(): Promise<void> {
  const available = (await readdir(here)).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort();
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const names = wanted.length > 0 ? wanted : available;
  const resultsDir = path.join(here, 'results');
  await mkdir(resultsDir, { recursive: true });
  for (const name of names) {
    const mod: unknown = await import(pathToFileURL(path.join(here, `${name}${SUFFIX}`)).href);
    if (!isBenchModule(mod)) throw new Error(`bench/${name}${SUFFIX} does not export run()`);
    process.stdout.write(`\n== ${name} ==\n`);
    const result: BenchResult = await mod.run();
    process.stdout.write(`${formatTable(result.rows)}\n`);
    for (const [k, v] of Object.entries(result.summary)) process.stdout.write(`${k}: ${v}\n`);
    const record = { ...result, date: new Date().toISOString(), node: process.version, cpus: os.cpus().length };
    const file = path.join(resultsDir, `${name}.json`);
    await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}

await main();
