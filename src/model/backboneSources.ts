// Pretrained backbones the lab can download, each described once: where its model.json lives,
// what it is called, its input size and pixel range, and how its output becomes features. The
// page's Content-Security-Policy (csp.ts, used by vite.config.ts) allows exactly these origins.
// No imports: the build config reads this file too.

export interface BackboneSource {
  id: string;
  name: string; // shown on the button and stored as the backbone's name
  url: string; // model.json; weight shards resolve relative to it
  inputSize: number; // square side S of the model's input
  range: '0,1' | '-1,1'; // pixel values the model expects (see ValueRange in backbone.ts)
  pooling: 'global-average'; // its last layer is a feature map [N, h, w, C], averaged over h, w -> [N, C]
}

/**
 * Teachable Machine's MobileNetV2 (ImageNet weights, width 1.0, 224 px, no top): a TF.js layers
 * model whose last layer `out_relu` is [7, 7, 1280]; Teachable Machine pools it with global
 * average pooling and feeds it pixels in [-1, 1].
 */
export const MOBILENET_V2_IMAGENET: Readonly<BackboneSource> = Object.freeze({
  id: 'mobilenet-v2-imagenet',
  name: 'MobileNetV2 (ImageNet)',
  url: 'https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top/model.json',
  inputSize: 224,
  range: '-1,1',
  pooling: 'global-average',
});

/** Every downloadable backbone. */
export const BACKBONE_SOURCES: readonly Readonly<BackboneSource>[] = [MOBILENET_V2_IMAGENET];

/** The origins the page may fetch backbones from (the CSP's connect-src adds exactly these). */
export function backboneOrigins(): string[] {
  return [...new Set(BACKBONE_SOURCES.map((s) => new URL(s.url).origin))];
}
