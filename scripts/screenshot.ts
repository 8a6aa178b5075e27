// Screenshots of the built lab for README and for looking at the UI.
// Usage: npx tsx scripts/screenshot.ts OUT.png [FOLDER | --train]
//   FOLDER   choose that dataset folder and shoot the import report and gallery
//   --train  load the built-in sample, train `tiny` on wasm for ~40 steps and shoot the curves
import { chooseFolder, openLab, trainTinyOnSample, waitForText } from '../tests/e2e/harness';

const [out = 'screenshot.png', what] = process.argv.slice(2);
const lab = await openLab();
const { page } = lab;
try {
  if (what === '--train') {
    await trainTinyOnSample(page, { epochs: 2, maxEvalImages: 200, backend: 'wasm' });
    await waitForText(page, 'eval-summary', /epoch 2/, 600_000);
    await page.waitForTimeout(1000);
  } else if (what) {
    await chooseFolder(page, what);
    await waitForText(page, 'report-images', /\d/, 600_000);
    await page.waitForTimeout(1500);
  } else {
    await page.waitForTimeout(1500);
  }
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await lab.close();
}
