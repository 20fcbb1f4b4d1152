#!/usr/bin/env node
// Opens report pages in headless Chromium and checks what a reader would see: every chart is laid
// out with a non-empty box, and every run a chart declares is drawn in it with a visible mark (its
// bounding box measured by the browser, not read from our own markup). With no page named, it runs
// `gaia simulate quickstart --sync lan,bsp,asp` into a temporary folder and checks the comparison
// and every run's report. `--screenshot FILE.png` also saves the first page, full height.
//
//   npm run check:reports                                   # the quickstart comparison
//   npm run check:reports -- runs/x/compare.html --screenshot docs/comparison.png
//
// Needs Debian's `chromium` (apt-get install chromium), or CHROMIUM=/path/to/chrome. Without one it
// says so and exits 0, so it can run anywhere; CHECK_REPORTS_REQUIRE=1 makes that exit 1.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const shotAt = args.indexOf("--screenshot");
const screenshot = shotAt >= 0 ? resolve(args[shotAt + 1] ?? "report.png") : null;
const pages = args.filter((_, i) => shotAt < 0 || (i !== shotAt && i !== shotAt + 1)).map((p) => resolve(p));

function findChromium(): string | null {
  const candidates = [process.env["CHROMIUM"], "chromium", "chromium-browser", "google-chrome"].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    const found = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (found.status === 0) return candidate;
  }
  return null;
}

const chromium = findChromium();
if (chromium === null) {
  const message = "check-reports: skipped, no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chrome)";
  console.log(message);
  process.exit(process.env["CHECK_REPORTS_REQUIRE"] === "1" ? 1 : 0);
}

const work = mkdtempSync(join(tmpdir(), "gaia-check-reports-"));
if (pages.length === 0) {
  const out = join(work, "quickstart");
  const run = spawnSync(process.execPath, [join(root, "packages/cli/bin/run.js"), "simulate", "quickstart", "--sync", "lan,bsp,asp", "--out", out, "--quiet"], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) {
    console.error(`check-reports: gaia simulate failed (exit ${run.status}):\n${run.stderr}`);
    process.exit(1);
  }
  pages.push(join(out, "compare.html"), ...["lan", "bsp", "asp"].map((m) => join(out, m, "report.html")));
}

// Runs in the page: measures every chart and every mark that names a run.
const probe = `<script>
addEventListener("load", () => {
  const charts = [...document.querySelectorAll("figure[data-chart]")].map((figure) => {
    const svg = figure.querySelector("svg");
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    const drawn = {};
    let marks = 0;
    for (const mark of figure.querySelectorAll('[role="graphics-symbol"][aria-roledescription]')) {
      const b = mark.getBBox();
      if (mark.getAttribute("aria-roledescription") !== "axis" && (b.width > 0 || b.height > 0)) marks++;
    }
    for (const mark of figure.querySelectorAll('[role="graphics-symbol"][aria-label*="run: "]')) {
      const run = mark.getAttribute("aria-label").split("; ").find((f) => f.startsWith("run: "))?.slice(5);
      const b = mark.getBBox();
      if (run !== undefined && (b.width > 0 || b.height > 0)) drawn[run] = (drawn[run] || 0) + 1;
    }
    return { name: figure.dataset.chart, declared: JSON.parse(figure.dataset.series), width: box.width, height: box.height, drawn, marks };
  });
  const pre = document.createElement("pre");
  pre.id = "gaia-check";
  pre.textContent = JSON.stringify({ height: document.documentElement.scrollHeight, charts });
  document.body.appendChild(pre);
});
</script>`;

function chrome(...extra: string[]): { status: number | null; stdout: string; stderr: string } {
  const profile = mkdtempSync(join(tmpdir(), "gaia-chromium-"));
  try {
    const run = spawnSync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars", `--user-data-dir=${profile}`, ...extra], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { status: run.status, stdout: run.stdout ?? "", stderr: run.stderr ?? "" };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

interface Measured {
  readonly height: number;
  readonly charts: { name: string; declared: string[]; width: number; height: number; drawn: Record<string, number>; marks: number }[];
}

let failures = 0;
for (const [index, page] of pages.entries()) {
  if (!existsSync(page)) {
    console.error(`FAIL ${page}: no such file`);
    failures++;
    continue;
  }
  const probed = join(work, `page-${index}.html`);
  writeFileSync(probed, readFileSync(page, "utf8").replace("</body>", `${probe}\n</body>`));
  const dom = chrome("--window-size=1000,1200", "--virtual-time-budget=5000", "--dump-dom", pathToFileURL(probed).href);
  const json = /<pre id="gaia-check">([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
  if (dom.status !== 0 || json === undefined) {
    console.error(`FAIL ${page}: Chromium did not render it (exit ${dom.status})\n${dom.stderr.split("\n").slice(-5).join("\n")}`);
    failures++;
    continue;
  }
  const measured = JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">")) as Measured;
  const problems: string[] = [];
  if (measured.charts.length === 0) problems.push("no charts");
  for (const chart of measured.charts) {
    if (!(chart.width > 100 && chart.height > 50)) problems.push(`${chart.name}: laid out ${chart.width}x${chart.height} px`);
    const bars = chart.name === "wan-bytes" || chart.name === "wan-cost";
    for (const run of chart.declared) {
      // A bar of zero (LAN's WAN bytes) is labelled, not drawn.
      if (!chart.drawn[run] && !bars) problems.push(`${chart.name}: ${run} is not drawn`);
    }
    if (chart.marks === 0) problems.push(`${chart.name}: nothing drawn`);
  }
  const summary = measured.charts.map((c) => `${c.name}[${Object.keys(c.drawn).join(",") || `${c.marks} marks`}]`).join(" ");
  if (problems.length > 0) {
    console.error(`FAIL ${page}\n  ${problems.join("\n  ")}`);
    failures++;
  } else console.log(`ok   ${page}: ${summary}`);
  if (screenshot !== null && index === 0) {
    const shot = join(work, "shot.png");
    const taken = chrome(`--window-size=1000,${Math.min(8000, Math.ceil(measured.height) + 16)}`, `--screenshot=${shot}`, pathToFileURL(page).href);
    if (taken.status !== 0 || !existsSync(shot)) {
      console.error(`FAIL screenshot of ${page}: ${taken.stderr.split("\n").slice(-3).join("\n")}`);
      failures++;
    } else {
      copyFileSync(shot, screenshot);
      console.log(`wrote ${screenshot}`);
    }
  }
}
rmSync(work, { recursive: true, force: true });
console.log(`check-reports: ${pages.length - failures} passed, ${failures} failed`);
process.exit(failures > 0 ? 1 : 0);
