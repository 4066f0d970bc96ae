// Walks the console in Debian's Chromium the way its users do, knowing only the Chinese labels
// on the screen: an enterprise on a 360 px phone sends proof, an inspector re-checks it, a
// supervisor approves the closure with JavaScript off and exports the ledger; then the refusals
// (a closure without a reason, a form from another site, a cookie kept after sign-out). Every
// page is checked with axe-core (no serious or critical violation), for tofu (each Chinese text
// is drawn by a font that has Chinese), for width at 360 px and for weight (HTML under 100 KB).
//
//   node tests/console/walk.mjs BASE_URL PHOTO SCREENSHOT_DIR
//
// Run by scripts/console-check against a server filled by `safeloop demo`.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const [base, photo, shots] = process.argv.slice(2);
if (!base || !photo || !shots) {
  console.error('usage: node walk.mjs BASE_URL PHOTO SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'safeloop-demo';
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1280, height: 900 };

const failures = [];
function check(ok, what) {
  if (!ok) { failures.push(what); console.error(`  ✗ ${what}`); }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/// A browser context (its own cookies) for one person on one device.
async function person(viewport, javaScriptEnabled = true) {
  const context = await browser.newContext({
    viewport, javaScriptEnabled, locale: 'zh-CN', acceptDownloads: true,
    isMobile: viewport.width < 500, hasTouch: viewport.width < 500,
  });
  const page = await context.newPage();
  page.scriptsOff = !javaScriptEnabled;
  page.on('pageerror', (e) => check(false, `script error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    // A refusal the walk provokes (a 4xx) is checked by what the page says; anything else the
    // browser complains about (a policy violation, a 5xx, a script error) fails the walk.
    const provoked = /Failed to load resource: the server responded with a status of 4\d\d/.test(m.text());
    if (m.type() === 'error' && !provoked) { check(false, `console error on ${page.url()}: ${m.text()}`); }
  });
  return { context, page };
}

let shot = 0;
/// The checks every page gets, and a screenshot kept as an artefact.
async function inspect(page, name, viewport) {
  if (process.env.WALK_VERBOSE) { console.log('page', name); }
  await page.waitForLoadState('load');
  shot += 1;
  await page.screenshot({ path: `${shots}/${String(shot).padStart(2, '0')}-${name}.png`, fullPage: true });
  const html = await page.content();
  check(Buffer.byteLength(html) < 100 * 1024, `${name}: HTML over 100 KB`);
  if (viewport.width === PHONE.width) {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= PHONE.width + 1, `${name}: ${wide} px wide on a 360 px screen`);
  }
  // With JavaScript off no timer fires, so axe cannot run; section 8 checks the same pages
  // with it on.
  if (!page.scriptsOff) { await axeCheck(page, name); }
  await noTofu(page, name);
}

async function axeCheck(page, name) {
  await page.evaluate(`${axeSource}\n;true`);
  // The callback form: the promise form's promise is collected before it settles here.
  const violations = await page.evaluate(() => new Promise((settle, fail) => {
    window.axe.run(document, { resultTypes: ['violations'] },
      (error, result) => (error ? fail(String(error)) : settle(result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: String(n.target) })),
      })))));
  }));
  for (const v of violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      check(false, `${name}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`);
    }
  }
}

/// Each element with Chinese text of its own is drawn with at least one font that has Chinese.
async function noTofu(page, name) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeIds } = await cdp.send('DOM.querySelectorAll', {
    nodeId: root.nodeId, selector: 'h1, h2, h3, a, button, label, th, td, p, dt, dd, option, figcaption, span',
  });
  let checked = 0;
  for (const nodeId of nodeIds.slice(0, 120)) {
    const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
    const text = outerHTML.replace(/<[^>]*>/g, '');
    if (!/[\u4e00-\u9fff]/.test(text)) { continue; }
    let fonts;
    try {
      ({ fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId }));
    } catch { continue; }
    if (fonts.length === 0) { continue; } // not rendered (a hidden option, say)
    checked += 1;
    const cjk = fonts.some((f) => /CJK|Han|Hei|Song|Ming|WenQuanYi|Noto Sans SC|Noto Serif SC|PingFang|YaHei/i.test(f.familyName));
    check(cjk, `${name}: tofu: "${text.trim().slice(0, 20)}" drawn with ${fonts.map((f) => f.familyName).join(', ')}`);
  }
  check(checked > 0, `${name}: no Chinese text found to check for tofu`);
  await cdp.detach();
}

async function signIn(page, username, viewport) {
  await page.goto(`${base}/console/`);
  check(page.url().includes('/console/login'), `${username}: not sent to sign in first`);
  await inspect(page, `sign-in-${username}`, viewport);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/console/') && !url.pathname.startsWith('/console/login'));
}

async function openHazard(page, description) {
  await page.getByRole('link', { name: description }).first().click();
  await page.waitForURL(/\/console\/hazards\//);
}

async function expectText(page, text, what) {
  try {
    await page.getByText(text).first().waitFor({ timeout: 10000 });
  } catch {
    check(false, `${what}: "${text}" not shown`);
  }
}

// 1. The enterprise, on a phone: proof for the major hazard, from the camera.
{
  const { context, page } = await person(PHONE);
  await signIn(page, 'demo-enterprise', PHONE);
  await page.getByRole('heading', { name: '我的隐患', exact: true }).waitFor();
  await inspect(page, 'enterprise-hazards', PHONE);
  await openHazard(page, '药物总库存量超出核定量');
  const input = page.getByLabel('整改照片');
  check(await input.getAttribute('accept') === 'image/*', 'the photo input takes images');
  check(await input.getAttribute('capture') === 'environment', 'the photo input opens the rear camera');
  await inspect(page, 'enterprise-hazard', PHONE);
  await input.setInputFiles(photo);
  await page.getByLabel('整改说明').fill('已将超量药物转移至合规库房，库存量按核定量重新登记。');
  await page.getByRole('button', { name: '提交整改' }).click();
  await expectText(page, '已提交整改', 'rectification submitted');
  await inspect(page, 'enterprise-submitted', PHONE);
  await context.close();
}

// 2. The inspector, at a desk: passes one re-check (htmx swaps the panel), fails another.
{
  const { context, page } = await person(DESK);
  await signIn(page, 'demo-inspector', DESK);
  await page.getByRole('heading', { name: '待复查', exact: true }).waitFor();
  await inspect(page, 'inspector-queue', DESK);
  await openHazard(page, '药物总库存量超出核定量');
  check(await page.locator('img[src*="/thumbnail"]').count() >= 1, 'the rectification photo is shown');
  await page.getByLabel('复查意见').fill('现场核查，库存量符合核定量。');
  await page.getByRole('button', { name: '复查通过' }).click();
  await expectText(page, '已复查通过', 're-check passed');
  await inspect(page, 'inspector-passed', DESK);
  await page.goto(`${base}/console/`);
  await openHazard(page, '配电箱未可靠接地');
  await page.getByLabel('复查意见').fill('接地线仍未接入接地干线。');
  await page.getByRole('button', { name: '复查不通过' }).click();
  await expectText(page, '已复查不通过', 're-check failed');
  for (const path of ['/console/hazards', '/console/inspections', '/console/stats', '/console/map']) {
    await page.goto(base + path);
    await inspect(page, `inspector${path.replaceAll('/', '-')}`, DESK);
  }
  await context.close();
}

// 3. The supervisor with JavaScript off: approves the closure; a rejection needs a reason.
let stolen;
{
  const { context, page } = await person(DESK, false);
  await signIn(page, 'demo-supervisor', DESK);
  await page.getByRole('heading', { name: /^待销号：复查已通过/ }).waitFor();
  await inspect(page, 'supervisor-queue', DESK);
  await openHazard(page, '药物总库存量超出核定量');

  check(await page.getByText('隐患照片（整改前）').count() === 1, 'before photos column');
  check(await page.getByText('整改照片（整改后）').count() === 1, 'after photos column');
  check(await page.locator('img[src*="/thumbnail"]').count() >= 2, 'before and after photos side by side');
  check(await page.getByText('复查意见').count() >= 1, 'the re-check note is shown');
  await inspect(page, 'supervisor-hazard', DESK);
  await page.getByRole('button', { name: '批准销号' }).click();
  await expectText(page, '已批准销号', 'closure approved without JavaScript');
  await expectText(page, '已销号', 'status closed');
  await page.goto(`${base}/console/`);
  await openHazard(page, '防静电门帘破损');
  await page.getByRole('button', { name: '驳回销号' }).click();
  await expectText(page, '操作未完成', 'a rejection without a reason is refused');
  await inspect(page, 'supervisor-refused', DESK);
  await page.goBack();
  await page.getByLabel('销号意见（驳回时必填）').fill('门帘更换记录缺失，请补充照片。');
  await page.getByRole('button', { name: '驳回销号' }).click();
  await expectText(page, '已驳回销号', 'closure rejected');
  stolen = await context.cookies();
  await context.close();
}

// 4. The supervisor with JavaScript: extensions, listing, cancellation, ledger, figures, map.
{
  const { context, page } = await person(DESK);
  await signIn(page, 'demo-supervisor', DESK);
  await page.getByRole('link', { name: '延期申请' }).click();
  await inspect(page, 'supervisor-extensions', DESK);
  await page.getByRole('button', { name: '批准延期' }).first().click();
  await expectText(page, '已批准延期', 'extension approved');
  await page.goto(`${base}/console/hazards`);
  await openHazard(page, '配电箱未可靠接地');
  await page.getByLabel('督办级别').selectOption('city');
  await page.getByLabel('督办说明').fill('接地问题复查不通过，列入市级督办。');
  await page.getByRole('button', { name: '挂牌督办' }).click();
  await expectText(page, '已挂牌督办', 'listed');
  await page.getByRole('link', { name: '挂牌督办' }).click();
  await expectText(page, '配电箱未可靠接地', 'the listed list');
  await inspect(page, 'supervisor-listed', DESK);
  await page.goto(`${base}/console/hazards`);
  await openHazard(page, '防静电门帘破损');
  await page.getByLabel('撤销理由').fill('与另一条隐患重复登记。');
  await page.getByRole('button', { name: '撤销隐患' }).click();
  await expectText(page, '已撤销隐患', 'cancelled');
  await page.getByRole('link', { name: '隐患', exact: true }).click();
  await inspect(page, 'supervisor-hazards', DESK);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: '导出台账', exact: true }).click(),
  ]);
  const ledger = readFileSync(await download.path(), 'utf8');
  check(ledger.startsWith('\ufeff隐患编号'), 'the ledger is a CSV with its header');
  check(ledger.includes('药物总库存量超出核定量'), 'the ledger lists the hazards');
  writeFileSync(`${shots}/ledger.csv`, ledger);
  await page.getByRole('link', { name: '统计' }).click();
  const sentence = await page.locator('#report-sentence').textContent();
  check(/^检查单位\d+家次，排查隐患\d+条，整治到位\d+条，整改率/.test(sentence), `the report's sentence: ${sentence}`);
  check(await page.locator('svg.chart').count() === 2, 'charts by sector and by month');
  await inspect(page, 'supervisor-stats', DESK);
  await page.getByRole('link', { name: '风险隐患图' }).click();
  await page.locator('#risk-map[data-ready]').waitFor({ timeout: 10000 });
  check(Number(await page.locator('#risk-map').getAttribute('data-ready')) > 0, 'the map draws the open hazards');
  await inspect(page, 'supervisor-map', DESK);
  await context.close();
}

// 5. The enterprise asks for more time on the hazard that failed its re-check.
{
  const { context, page } = await person(PHONE);
  await signIn(page, 'demo-enterprise', PHONE);
  await openHazard(page, '配电箱未可靠接地');
  const later = new Date(Date.now() + 20 * 86400e3).toISOString().slice(0, 10);
  await page.getByLabel('申请延期至').fill(later);
  await page.getByLabel('延期理由').fill('接地材料需从厂家订购，到货需两周。');
  await page.getByRole('button', { name: '申请延期' }).click();
  await expectText(page, '已申请延期', 'extension requested');
  await page.getByRole('link', { name: '延期申请' }).click();
  await inspect(page, 'enterprise-extensions', PHONE);
  await context.close();
}

// 6. Refusals: a form posted from another site, and a cookie kept after signing out.
{
  const { context, page } = await person(DESK);
  await signIn(page, 'demo-supervisor', DESK);
  // Another site knows the form and even this session's token (say, from a leaked page): the
  // browser says where the form comes from, and nothing happens to the open hazard.
  await page.goto(`${base}/console/hazards`);
  await openHazard(page, '成品仓库消防通道堆放纸箱');
  const target = page.url();
  const token = await page.locator('input[name="csrf"]').first().inputValue();
  const evil = createServer((_, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><form id="f" method="post" action="${target}/transitions">
      <input name="action" value="cancel"><input name="note" value="x"><input name="csrf" value="${token}"></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((done) => evil.listen(0, '127.0.0.1', done));
  await page.goto(`http://127.0.0.1:${evil.address().port}/`);
  await page.waitForURL(/\/transitions$/);
  await expectText(page, '表单已失效', 'a form from another site is refused');
  evil.close();
  await page.goto(target);
  check(await page.getByRole('button', { name: '撤销隐患' }).count() === 1, 'the forged form changed nothing');
  await expectText(page, '待整改', 'the hazard is still open');

  const held = await context.cookies();
  await page.getByRole('button', { name: '退出' }).click();
  await expectText(page, '已退出登录', 'signed out');
  const thief = await browser.newContext();
  await thief.addCookies(held);
  const stolenPage = await thief.newPage();
  await stolenPage.goto(`${base}/console/`);
  check(stolenPage.url().includes('/console/login'), 'a cookie kept after sign-out opens nothing');
  await thief.close();
  check(stolen.some((c) => c.name === 'safeloop_session' && c.httpOnly && c.sameSite === 'Lax'),
    'the session cookie is HttpOnly and SameSite=Lax');
  await context.close();
}

// 7. The administrator's pages, on a desk and on a phone; a code failing its check is refused.
for (const viewport of [DESK, PHONE]) {
  const { context, page } = await person(viewport);
  await signIn(page, 'demo-admin', viewport);
  for (const link of ['用户', '企业', '检查表', '推送地址']) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await inspect(page, `admin-${link}-${viewport.width}`, viewport);
  }
  if (viewport === DESK) {
    await page.getByRole('link', { name: '企业', exact: true }).click();
    await page.getByLabel('统一社会信用代码', { exact: true }).fill('91360721MA35F0XY1A');
    await page.getByLabel('名称', { exact: true }).fill('赣县测试机械有限公司');
    await page.getByLabel('所属区域代码', { exact: true }).fill('360704');
    await page.getByLabel('地址', { exact: true }).fill('赣县区梅林镇工业园');
    await page.getByLabel('联系人', { exact: true }).fill('王工');
    await page.getByLabel('联系电话', { exact: true }).fill('0797-4400000');
    await page.getByRole('button', { name: '登记企业' }).click();
    await expectText(page, '填写有误：统一社会信用代码', 'a bad credit code is named');
    await inspect(page, 'admin-refused-code', viewport);
  }
  await context.close();
}

// 8. Every role's pages on the other device too.
for (const [username, paths] of [
  ['demo-supervisor', ['/console/', '/console/hazards', '/console/extensions', '/console/stats', '/console/map']],
  ['demo-inspector', ['/console/']],
  ['demo-enterprise', ['/console/']],
]) {
  for (const viewport of [PHONE, DESK]) {
    const { context, page } = await person(viewport);
    await signIn(page, username, viewport);
    for (const path of paths) {
      await page.goto(base + path);
      await inspect(page, `${username}${path.replaceAll('/', '-')}${viewport.width}`, viewport);
    }
    await context.close();
  }
}

await browser.close();
if (failures.length > 0) {
  console.error(`console: ${failures.length} check(s) failed`);
  process.exit(1);
}
console.log(`console: every check held; ${shot} screenshots in ${shots}`);
