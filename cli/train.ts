// Headless training from the command line, with the app's own model, data and training code:
//   npm run train -- --data DIR --preset tiny|default|bench [--epochs N] [--steps N]
//                    [--out FILE.clip.safetensors] [--backend wasm|cpu|webgpu] [--limit N]
//                    [--text-encoder bow|conv|transformer] [--seed N] [--every N] [--last]
// The file written is the page's model export: the Train tab imports it. It holds the best
// checkpoint by val mean R@5 (the log says which), or the last one with --last. A folder that
// cannot train exits non-zero with the reason; a batch size above its training images is clamped.
import { parseArgs } from 'node:util';
import { PRESET_NAMES, type PresetName, type TextEncoderKind, type TrainConfig } from '../src/config';
import { trainFolder } from './headless';

const USAGE =
  'usage: npm run train -- --data DIR --preset tiny|default|bench [--epochs N] [--steps N] [--out FILE] ' +
  '[--backend wasm|cpu|webgpu] [--limit IMAGES] [--text-encoder bow|conv|transformer] [--seed N] [--every N] [--last]';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, found '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      preset: { type: 'string', default: 'tiny' },
      epochs: { type: 'string' },
      steps: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      limit: { type: 'string' },
      'text-encoder': { type: 'string' },
      seed: { type: 'string' },
      every: { type: 'string' },
      last: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.data) throw new Error(`--data is required\n${USAGE}`);
  if (!(PRESET_NAMES as readonly string[]).includes(values.preset!)) {
    throw new Error(`--preset: expected one of ${PRESET_NAMES.join(', ')}, found '${values.preset}'`);
  }
  const overrides: Partial<TrainConfig> = {};
  if (values['text-encoder']) overrides.textEncoder = values['text-encoder'] as TextEncoderKind; // validated by withOverrides
  if (values.seed !== undefined) overrides.seed = Number(values.seed);
  const result = await trainFolder({
    data: values.data,
    preset: values.preset as PresetName,
    overrides,
    epochs: positiveInt('epochs', values.epochs),
    steps: positiveInt('steps', values.steps),
    backend: values.backend,
    out: values.out,
    keepLast: values.last,
    limitImages: positiveInt('limit', values.limit),
    stepMetricsEvery: positiveInt('every', values.every),
    log: (line) => console.log(line),
  });
  const steps = result.checkpoint.step;
  console.log(`done: ${steps} steps in ${result.trainSeconds.toFixed(1)} s on ${result.backend.detail}`);
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(`${e.name}${'code' in e ? ` (${String((e as { code: unknown }).code)})` : ''}: ${e.message}`);
  process.exitCode = 1;
});
