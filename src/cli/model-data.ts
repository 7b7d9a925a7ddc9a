// `--data` of the network commands: a built-in generator (seeded by --data-seed) or the
// user's CSV file, its input and target columns chosen by name (--inputs, --targets).

import { readFileSync, statSync } from 'node:fs';
import { CsvError, parseCsv } from '../core/csv';
import { checkDataset, DATASETS, DataError, makeDataset, parseCsvData, type Dataset } from '../core/nn/data';
import type { Model } from '../core/nn/model';
import { UsageError } from './args';
import { MAX_CSV_BYTES } from './limits';

const isCsv = (name: string) => name.toLowerCase().endsWith('.csv');

/** Column names of --inputs / --targets: one CSV record (a name holding a comma in double quotes), none empty. */
function columns(text: string, flag: string): string[] {
  let names: string[] = [];
  try {
    const rs = parseCsv(text);
    if (rs.length === 1) names = rs[0].fields.map((s) => s.trim());
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
  }
  if (names.length === 0 || names.some((s) => s === '')) throw new UsageError(`${flag}: expected column names separated by commas, got '${text}'`);
  return names;
}

/** The dataset the flags name, checked against the model (one line naming what is wrong). */
export function loadData(f: { data?: string; dataSeed?: number; inputs?: string; targets?: string }, model: Model): Dataset {
  const name = (f.data ?? 'teacher').trim();
  if (!isCsv(name)) {
    if (!(DATASETS as readonly string[]).includes(name)) throw new UsageError(`--data: unknown dataset '${name}' (${DATASETS.join(', ')}, or FILE.csv)`);
    if (f.inputs !== undefined || f.targets !== undefined)
      throw new UsageError(`--inputs and --targets choose the columns of --data FILE.csv, not of '${name}'`);
    return makeDataset(name, model, { seed: f.dataSeed ?? 0 });
  }
  if (f.dataSeed !== undefined) throw new UsageError('--data-seed seeds a generated dataset; a CSV file is its own data');
  if (f.inputs === undefined || f.targets === undefined) throw new UsageError('--data FILE.csv needs --inputs A,B,... and --targets Y,... (column names)');
  let size: number;
  try {
    const st = statSync(name);
    if (!st.isFile()) throw new UsageError(`--data: '${name}' is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--data: no file '${name}'`);
  }
  if (size > MAX_CSV_BYTES) throw new UsageError(`--data: ${name} is ${(size / 2 ** 20).toFixed(0)} MiB, over the limit of ${MAX_CSV_BYTES / 2 ** 20} MiB`);
  try {
    const data = parseCsvData(readFileSync(name, 'utf8'), columns(f.inputs, '--inputs'), columns(f.targets, '--targets'));
    checkDataset(model, data);
    return data;
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`${name}: ${e.message}`);
    throw e;
  }
}
