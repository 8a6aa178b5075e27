// Takes a screenshot of the built lab after choosing a folder (for README and for looking at the UI).
// Usage: npx tsx scripts/screenshot.ts OUT.png [FOLDER]
import { chooseFolder, openLab, waitForText } from '../tests/e2e/harness';

const [out = 'screenshot.png', folder] = process.argv.slice(2);
const lab = await openLab();
try {
  if (folder) {
    await chooseFolder(lab.page, folder);
    await waitForText(lab.page, 'report-images', /\d/, 600_000);
    await lab.page.waitForTimeout(1500);
  } else {
    await lab.page.waitForTimeout(1500);
  }
  await lab.page.screenshot({ path: out, fullPage: true });
  console.log(lab.consoleLines.join('\n'));
} finally {
  await lab.close();
}
