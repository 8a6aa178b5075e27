// The Use panel reads which backbone a refused model needs from the error's code and message (all
// that crosses the worker): the hash always, the download source only for an exact known URL.
import { describe, expect, it } from 'vitest';
import { BackboneError } from '../../../src/model/backbone';
import { MOBILENET_V2_IMAGENET } from '../../../src/model/backboneSources';
import { missingBackbone } from '../../../src/use/modelService';
import { neededBackbone } from '../../../src/ui/use/neededBackbone';

const id = {
  name: 'm',
  kind: 'layers',
  sha256: 'ab'.repeat(32),
  inputSize: 224,
  range: '-1,1',
  outputNode: 'out_relu',
  featureSize: 1280,
} as const;

describe('neededBackbone', () => {
  it('reads the hash of a backbone chosen from files, with no download to offer', () => {
    expect(neededBackbone(missingBackbone(id))).toEqual({ sha256: id.sha256, source: null });
  });
  it('offers the known download when the backbone came from it', () => {
    expect(neededBackbone(missingBackbone({ ...id, source: MOBILENET_V2_IMAGENET.url }))).toEqual({
      sha256: id.sha256,
      source: MOBILENET_V2_IMAGENET,
    });
  });
  it('offers nothing for an unknown source URL (a link in a file is not followed)', () => {
    expect(neededBackbone(missingBackbone({ ...id, source: 'https://example.com/model.json' }))?.source).toBeNull();
  });
  it('is null for other errors', () => {
    expect(neededBackbone(new BackboneError('truncated', 'x'))).toBeNull();
    expect(neededBackbone(new Error(`SHA-256 ${id.sha256}`))).toBeNull();
    expect(neededBackbone(null)).toBeNull();
  });
});
