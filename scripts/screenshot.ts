// Screenshots of the built lab for README and for looking at the UI.
// Usage: npx tsx scripts/screenshot.ts OUT.png [FOLDER | --train | --pretrained]
//   FOLDER        choose that dataset folder and shoot the import report and gallery
//   --train       load the built-in sample, train `tiny` on wasm for 2 epochs and shoot the curves
//   --pretrained  load the built-in sample, choose the pretrained tower with the nsfwjs MobileNetV2
//                 fixture (devDependency) as its files, open Head settings and shoot the Train form
import { nsfwjsFileSet } from '../tests/fixtures/nsfwjs';
import { chooseFolder, openLab, trainTinyOnSample, waitForText } from '../tests/e2e/harness';

const [out = 'screenshot.png', what] = process.argv.slice(2);
const lab = await openLab();
const { page } = lab;
try {
  if (what === '--train') {
    await trainTinyOnSample(page, { epochs: 2, maxEvalImages: 200, backend: 'wasm' });
    await waitForText(page, 'eval-summary', /epoch 2/, 600_000);
    await page.waitForTimeout(1000);
  } else if (what === '--pretrained') {
    await page.getByTestId('load-sample').click();
    await waitForText(page, 'report-images', /^2,000$/, 120_000);
    await page.getByTestId('tab-train').click();
    await page.getByTestId('train-preset').selectOption('tiny');
    await page.getByTestId('tower-backbone').check();
    const files = nsfwjsFileSet('mobilenet_v2').map((f, i) => ({
      name: i === 0 ? 'nsfwjs-mobilenet_v2.json' : f.name, // the name the page shows for the backbone
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(f.bytes),
    }));
    await page.getByTestId('backbone-input').setInputFiles(files);
    await waitForText(page, 'backbone-found', /features/, 180_000);
    await page.getByTestId('head-advanced').locator('summary').click();
    await page.waitForTimeout(500);
    await page.locator('.train-panel > .card').first().screenshot({ path: out });
  } else if (what) {
    await chooseFolder(page, what);
    await waitForText(page, 'report-images', /\d/, 600_000);
    await page.waitForTimeout(1500);
  } else {
    await page.waitForTimeout(1500);
  }
  if (what !== '--pretrained') await page.screenshot({ path: out, fullPage: true });
} finally {
  await lab.close();
}
