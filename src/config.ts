// The one typed training config: TrainConfig, the named presets and validateConfig().
// The config travels with every checkpoint and every exported model file.
// (Skeleton: the training-engine work fleshes out presets and validation.)

export type PresetName = 'tiny' | 'default' | 'bench';
export type TextEncoderKind = 'conv' | 'transformer' | 'bow';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface TrainConfig {
  preset: PresetName;
  seed: number;
  // image encoder
  imageSize: number; // square input side in pixels
  convChannels: number[]; // one 3x3 stride-2 conv (+ReLU) per entry
  imageWidth: number; // dense width after global average pooling
  augment: boolean;
  // text encoder
  textEncoder: TextEncoderKind;
  vocabSize: number; // max vocabulary incl. PAD and UNK
  minWordCount: number;
  maxTokens: number;
  textWidth: number;
  // joint space
  embedDim: number;
  matchHidden: number; // hidden units of the match classifier MLP (0 = no classifier)
  // optimisation
  batchSize: number;
  epochs: number;
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  adamEpsilon: number;
  // evaluation / checkpoints
  evalEveryEpoch: boolean;
  maxEvalImages: number;
  checkpointEverySteps: number;
}
