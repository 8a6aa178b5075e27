// One line naming the settings a run trained with, for the runs table and a loaded model: the preset,
// the image tower (the CNN's size, or the frozen backbone and the feature head on it), the text
// encoder and the optimisation that most often differs between runs. Pure: a TrainConfig in, a string out.
import type { TrainConfig } from './config';

/** "CNN from scratch, 32 px, channels 8-16-32" or "MobileNetV2 (ImageNet), frozen, 1280 features → linear head, dropout 0.5, mirrored images". */
export function imageTowerSummary(c: TrainConfig): string {
  if (c.imageTower === 'cnn' || !c.backbone) {
    return `CNN from scratch, ${c.imageSize} px, channels ${c.convChannels.join('-')}`;
  }
  const head = c.headHidden > 0 ? `head with ${c.headHidden} hidden units` : 'linear head';
  const views = c.flipViews ? ', mirrored images' : '';
  return `${c.backbone.name}, frozen, ${c.backbone.featureSize} features → ${head}, dropout ${c.headDropout}${views}`;
}

export const TEXT_ENCODERS: Record<TrainConfig['textEncoder'], string> = {
  conv: '1-D conv text',
  transformer: 'transformer text',
  bow: 'bag-of-words text',
};

/** The run's settings in one line, e.g. "tiny · CNN from scratch, 32 px, … · 1-D conv text · 5 epochs, batch 16, lr 0.003". */
export function settingsSummary(c: TrainConfig): string {
  const training = `${c.epochs} ${c.epochs === 1 ? 'epoch' : 'epochs'}, batch ${c.batchSize}, lr ${c.learningRate}`;
  return [c.preset, imageTowerSummary(c), TEXT_ENCODERS[c.textEncoder], training].join(' · ');
}
