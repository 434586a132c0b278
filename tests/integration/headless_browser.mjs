// Debian's headless Chromium, driven through playwright-core, for the tests that open a page.
import fs from 'node:fs';
import { chromium } from 'playwright-core';

// Launches Chromium (exits the test with a clear message when it is not installed).
export async function launchChromium() {
  const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser']
      .find((p) => fs.existsSync(p));
  if (!executablePath) {
    console.error('chromium is not installed (scripts/setup installs it)');
    process.exit(1);
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
}
