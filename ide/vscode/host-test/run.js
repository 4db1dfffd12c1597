// The packaged extension in a real VS Code workbench (code-server), driven by headless Chromium:
// install the .vsix, open a copy of examples/hello, run "Nimbus: Replay Tape" on a tape with one
// changed record and read the Test Explorer's items, open the changed one's diff, then debug the
// handler (F9, F5) and read the stopped frame's variables. Screenshots go to the folder given.
//
//   node run.js <nimbus> <extension.vsix> <screenshot folder>
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const [nimbus, vsix, shots] = process.argv.slice(2).map((a) => path.resolve(a));
const REPO = path.resolve(__dirname, '..', '..', '..');
const ENTRY = path.join(__dirname, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function step(what) {
  console.log(`host-test: ${what}`);
}

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-host-'));
  const dirs = Object.fromEntries(['home', 'data', 'extensions', 'tmp', 'workspace'].map((d) => [d, path.join(scratch, d)]));
  Object.values(dirs).forEach((d) => fs.mkdirSync(d, { recursive: true }));
  // code-server writes under HOME and the XDG folders, and leaves a socket in TMPDIR: all in the scratch folder.
  const env = { ...process.env, HOME: dirs.home, XDG_CONFIG_HOME: path.join(dirs.home, '.config'), XDG_DATA_HOME: path.join(dirs.home, '.local/share'), XDG_CACHE_HOME: path.join(dirs.home, '.cache'), TMPDIR: dirs.tmp };
  let server;
  let browser;
  let page;
  try {
    step('a workspace: a copy of examples/hello and a tape of it with one record changed');
    const hello = path.join(dirs.workspace, 'hello');
    fs.cpSync(path.join(REPO, 'examples', 'hello'), hello, { recursive: true, filter: (f) => !f.includes('.nimbus') });
    const pyHello = path.join(dirs.workspace, 'python-hello');
    fs.cpSync(path.join(REPO, 'examples', 'python-hello'), pyHello, { recursive: true, filter: (f) => !f.includes('__pycache__') });
    const tape = path.join(hello, 'tapes', 'recorded.ndjson');
    fs.mkdirSync(path.dirname(tape), { recursive: true });
    const recorded = spawnSync(nimbus, ['run', path.join(hello, 'function.yaml'), '--event', path.join(hello, 'events'), '--record', tape], { encoding: 'utf8' });
    if (recorded.status !== 0) throw new Error(`recording failed: ${recorded.stderr}`);
    const [header, ...records] = fs.readFileSync(tape, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    records[1].response.body = '{"greeting":"hello, Bob","again":false}';
    fs.writeFileSync(tape, [header, ...records].map((r) => JSON.stringify(r)).join('\n') + '\n');
    fs.mkdirSync(path.join(dirs.workspace, '.vscode'));
    fs.writeFileSync(path.join(dirs.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'nimbus.executable': nimbus, 'workbench.startupEditor': 'none', 'workbench.welcomePage.walkthroughs.openOnInstall': false, 'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false, 'extensions.ignoreRecommendations': true, 'chat.disableAIFeatures': true }, null, 2));
    fs.writeFileSync(path.join(dirs.workspace, '.vscode', 'launch.json'), JSON.stringify({ version: '0.2.0', configurations: [{ type: 'nimbus', request: 'launch', name: 'Debug hello', function: '${workspaceFolder}/hello/function.yaml', event: '${workspaceFolder}/hello/events/02-header.json' }, { type: 'nimbus', request: 'launch', name: 'Debug python-hello', function: '${workspaceFolder}/python-hello/function.yaml', event: '${workspaceFolder}/python-hello/events/02-header.json' }] }, null, 2));

    step(`installing ${path.basename(vsix)}`);
    const installed = spawnSync(process.execPath, [ENTRY, '--user-data-dir', dirs.data, '--extensions-dir', dirs.extensions, '--install-extension', vsix], { env, encoding: 'utf8' });
    if (installed.status !== 0) throw new Error(`--install-extension failed: ${installed.stdout}${installed.stderr}`);

    const port = await freePort();
    step(`code-server on 127.0.0.1:${port}`);
    server = spawn(process.execPath, [ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', dirs.data, '--extensions-dir', dirs.extensions, '--disable-telemetry', '--disable-workspace-trust', dirs.workspace], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let serverLog = '';
    server.stdout.on('data', (c) => (serverLog += c));
    server.stderr.on('data', (c) => (serverLog += c));
    for (let i = 0; i < 100 && !serverLog.includes('HTTP server listening'); i++) await new Promise((r) => setTimeout(r, 200));
    if (!serverLog.includes('HTTP server listening')) throw new Error(`code-server did not start: ${serverLog}`);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await page.waitForTimeout(6000);  // the extension host starts and activates the extension

    const palette = async (label) => {
      await page.keyboard.press('F1');
      const widget = page.locator('.quick-input-widget');
      await widget.waitFor({ state: 'visible' });
      await page.keyboard.type(label);
      const row = page.locator(`.quick-input-list .monaco-list-row[aria-label^="${label}"]`).first();
      await row.waitFor({ timeout: 10_000 });
      await row.click();
      await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    };

    step('Nimbus: Replay Tape');
    // The command asks which tape; a workbench still settling can take the focus away: ask again.
    for (let attempt = 1; ; attempt++) {
      await palette('Nimbus: Replay Tape');
      const ok = await page.locator('.quick-input-list .monaco-list-row', { hasText: 'recorded.ndjson' }).waitFor({ timeout: 10_000 }).then(() => true, () => false);
      if (ok) break;
      if (attempt === 3) throw new Error('Nimbus: Replay Tape did not offer the tape');
      await page.keyboard.press('Escape');
    }
    await page.keyboard.press('Enter');  // the one tape
    await page.waitForTimeout(1000);
    await page.locator('.activitybar .action-item a[aria-label^="Testing"]').click();
    const rows = page.locator('.test-explorer .monaco-list-row');
    // The replay builds the function (optimized, as nimbus replay does) and runs: until the tape's item is done.
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('.test-explorer .monaco-list-row')];
      return r.length > 0 && r.every((e) => !/Running|Queued/.test(e.getAttribute('aria-label') || ''));
    }, null, { timeout: 120_000 });
    // Expand the tape's item.
    // Expand the tape's item (its twistie; a click on the label would open the tape).
    for (let i = 0; i < 5 && (await rows.count()) < 2; i++) {
      await rows.first().locator('.monaco-tl-twistie').click();
      await page.waitForTimeout(1000);
    }
    const items = await rows.evaluateAll((els) => els.map((e) => `${e.textContent} | ${e.getAttribute('aria-label')}`));
    step(`Test Explorer items: ${JSON.stringify(items)}`);
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'replay-tests.png') });
    const want = records.map((r) => r.event.id);
    for (const w of want) {
      const state = w === records[1].event.id ? 'Failed' : 'Passed';
      if (!items.some((i) => i.includes(`| ${w} (${state})`))) throw new Error(`no ${state} test item for ${w}: ${JSON.stringify(items)}`);
    }

    step("the changed record's diff");
    const changed = rows.filter({ hasText: '02-header' });
    await changed.dblclick();
    await page.waitForTimeout(2500);
    await page.screenshot({ path: path.join(shots, 'replay-diff.png') });
    const diffText = await page.locator('.test-output-peek, .peekview-widget').allInnerTexts();
    const shown = diffText.join('\n').replace(/\u00a0/g, ' ');  // the editor draws spaces as no-break spaces
    if (!shown.includes('"greeting": "hello, Bob"') || !shown.includes('"greeting": "hello, Ada"')) {
      throw new Error(`the diff does not show the recorded and the replayed greeting: ${JSON.stringify(shown).slice(0, 600)}`);
    }
    step('the diff shows the recorded "hello, Bob" against the replayed "hello, Ada"');

    // A breakpoint at `text` in `file`, then the launch configuration `config`; the stopped frame's variables.
    const debug = async (file, text, config, shot) => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await page.keyboard.type(path.basename(file));
      await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.waitForTimeout(1500);
      const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
      await page.keyboard.press('Control+G');
      await page.keyboard.type(String(line));
      await page.keyboard.press('Enter');
      await page.keyboard.press('F9');
      await palette('Debug: Select and Start Debugging');
      const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: config }).first();
      await pick.waitFor({ timeout: 10_000 });
      await pick.click();
      // Stopped: the handler's frame's locals are listed.
      await page.locator('.debug-variables .monaco-list-row[aria-label^="name, value"]').first().waitFor({ timeout: 180_000 });
      await page.waitForTimeout(2500);
      await page.mouse.move(900, 860);
      await page.screenshot({ path: path.join(shots, shot) });
      const variables = await page.locator('.debug-variables .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      step(`${config}: variables ${JSON.stringify(variables.slice(0, 10))}`);
      await page.keyboard.press('F5');  // continue: the run completes
      await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 60_000 });
      return variables;
    };

    step('F9 in greet (C++), then Debug hello');
    const cpp = await debug(path.join(hello, 'hello.cpp'), 'ctx.logger().info_with("greeting"', 'Debug hello', 'debug-cpp.png');
    if (!cpp.includes('name, value "Ada"')) throw new Error(`the C++ handler's locals do not show name = "Ada": ${JSON.stringify(cpp)}`);
    step('F9 in handler (Python), then Debug python-hello');
    const py = await debug(path.join(pyHello, 'main.py'), 'context.logger.info_with("greeting"', 'Debug python-hello', 'debug-python.png');
    if (!py.includes("name, value 'Ada'")) throw new Error(`the Python handler's locals do not show name = 'Ada': ${JSON.stringify(py)}`);
    step('done');
  } catch (e) {
    if (page) {
      fs.mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => undefined);
      const rows = await page.locator('.monaco-list-row').evaluateAll((els) => els.map((x) => x.getAttribute('aria-label'))).catch(() => []);
      step(`rows at the failure: ${JSON.stringify(rows)}`);
    }
    throw e;
  } finally {
    if (browser) await browser.close();
    if (server && server.exitCode === null) server.kill('SIGTERM');
    const logs = path.join(dirs.data, 'logs');
    if (process.env.KEEP_HOST_TEST) step(`kept ${scratch}`);
    else if (fs.existsSync(logs)) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`host-test: FAILED: ${e.message}`);
  process.exitCode = 1;
});
