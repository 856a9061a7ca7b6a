"""Cockpit benchmark in real Chromium: first load of the cockpit tab and each drill step
(company → region → product line → team → agent, then back to the top by the breadcrumb), as
the user waits for it: from the click until the cards, the trend, the breakdown chart and its
member list, and the alerts are drawn.

    servicepilot demo-data --tickets 200000 --seed 42 --end 2026-10-31 --db /tmp/demo200k.duckdb
    PYTHONPATH=. .venv/bin/python benchmarks/bench_cockpit.py --db /tmp/demo200k.duckdb

A web server is started on 127.0.0.1 (a free port) over the warehouse and stopped by PID at the
end. Each round opens a fresh signed-in page and drills into a randomly chosen member at every
level (so no step always hits the same rows). Every step is also shown as the median within-round
ratio to that round's first load (the baseline, same run), so machine load hits all alike.
Each step waits until the breadcrumb has its new depth and every panel is drawn: all outputs of
one step arrive in one message. Goals (issue 16): first load <= 2 s, a drill step <= 1 s p95.

A step is timed on the page's own clock, from its click event until the page is drawn (polled
every 20 ms). It is also split where its time goes: "server" is the cockpit handler's own run
time as Gradio reports it in the step's completion message, "wire" the rest until that message
reaches the page (queueing behind other events, transfer), "draw" from then until every panel
is drawn (Svelte and Plotly in the browser). "aim" is what Playwright spends before its click
reaches the page (scrolling the member into view, waiting until it stands still: up to 0.3 s
when the member is below the fold); a user does that before clicking, so it is reported apart,
and "with the aim" gives the drill steps timed from Playwright's call instead.

Rounds come in two kinds, interleaved in random order: "new_data" touches the warehouse file
first (a new data version: nothing the cockpit kept is served, every step is computed, as after
an ingest batch) and "repeat" leaves it (steps shown before on the same data are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-11-22"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-sync"]
LEVELS = ("region", "product_line", "team", "agent_name")
GOALS = {"first_load": 2.0, "drill": 1.0}
DRAWN = """([crumbs]) => {
  const q = (s) => document.querySelectorAll(s).length;
  return q('#sp-breadcrumb .sp-crumb') === crumbs && q('#sp-kpis .sp-kpi') === 6
    && q('#sp-cockpit-trend .js-plotly-plot') === 1 && q('#sp-drill-members .sp-member') > 0
    && q('#sp-drill-plot .js-plotly-plot') === 1
    && document.querySelector('#sp-cockpit-alerts').innerText.length > 0
    && !document.body.classList.contains('sp-drilling');  // no longer dimmed (drill.CRUMB_JS)
}"""
# DRAWN, also noting on the page's clock when it first held (polled every 20 ms: at most that late)
DRAWN_AT = f"""(arg) => {{
  const drawn = ({DRAWN})(arg);
  if (drawn && window.__spDrawnAt === undefined) window.__spDrawnAt = performance.now();
  return drawn;
}}"""


# Records, in the page, when each event's completion message arrives and the run time Gradio
# reports in it (the message stream is read through a copy of the fetch response's body).
MESSAGE_SPY = """
window.__spDone = [];
window.__spClicks = [];
document.addEventListener('click', () => window.__spClicks.push(performance.now()), true);
const realFetch = window.fetch;
window.fetch = async (...args) => {
  const response = await realFetch(...args);
  const url = String(args[0] && args[0].url || args[0]);
  if (!url.includes('queue/data') || !response.body) return response;
  const [mine, theirs] = response.body.tee();
  (async () => {
    const reader = mine.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split('\\n');
      buffer = lines.pop();
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        try {
          const msg = JSON.parse(line.slice(5));
          if (msg.msg === 'process_completed' && msg.output)
            window.__spDone.push({at: performance.now(), server: msg.output.duration,
                                  outputs: (msg.output.data || []).length});
        } catch (e) {}
      }
    }
  })();
  return new Response(theirs, {headers: response.headers, status: response.status});
};
"""
ALERTS_WARMED = "warm-up done: alerts"  # serve's line when the start-up alerts are computed
COCKPIT_OUTPUTS = 12  # the cockpit handler's outputs (build_cockpit_tab): how its message is told


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, data: Path) -> tuple[subprocess.Popen, str]:
    env = dict(
        os.environ,
        SERVICEPILOT_TODAY=TODAY,
        SERVICEPILOT_DATA_DIR=str(data / "data"),
        SERVICEPILOT_CHROMA_DIR=str(data / "chroma"),
        SERVICEPILOT_WAREHOUSE_URL=f"duckdb:///{db}",
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
    )
    port = free_port()
    log = (data / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.commands.serve", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/config", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except Exception:
            if process.poll() is not None:
                deadline = 0
            time.sleep(0.25)
    else:
        process.kill()
        raise SystemExit(f"server did not start; see {data / 'serve.log'}")
    # the alerts are computed once at start-up in the background (tens of seconds at 200k):
    # the rounds measure the cockpit after that, not beside it
    while time.monotonic() < deadline + 300:
        if ALERTS_WARMED in (data / "serve.log").read_text(errors="replace"):
            break
        time.sleep(0.5)
    return process, url


def login(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.add_init_script(MESSAGE_SPY)
    page.set_default_timeout(60_000)
    page.goto(url)
    page.locator("input[type=text], input:not([type])").first.fill("exec")
    page.locator("input[type=password]").fill("exec-demo")
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#sp-question textarea")
    return page


def timed(page, action, crumbs: int) -> dict[str, float]:
    """Seconds from the click in the page until the cockpit is drawn there at breadcrumb depth
    ``crumbs`` ("total", both read on the page's clock), split into the handler's run
    ("server"), the rest until its message arrived ("wire") and the drawing after it ("draw").
    "aim" is the time Playwright took before its click reached the page (scrolling the target
    into view, waiting until it stands still): a user does that before clicking, so it is not
    part of their wait; "total_robot" counts it too, from the call until Playwright saw the
    page drawn."""
    page.evaluate("window.__spDrawnAt = undefined")
    before = page.evaluate("performance.now()")
    at, started = time.time(), time.perf_counter()
    action()
    page.wait_for_function(DRAWN_AT, arg=[crumbs], polling=20)
    robot = time.perf_counter() - started
    drawn = page.evaluate("window.__spDrawnAt")
    clicks = page.evaluate("(after) => window.__spClicks.filter((t) => t >= after)", before)
    done = page.evaluate(
        "([after, n]) => window.__spDone.filter((m) => m.at >= after && m.outputs === n)",
        [before, COCKPIT_OUTPUTS],
    )
    if not clicks or drawn is None:  # the page saw no click: the robot's time alone
        return {"total": robot, "total_robot": robot, "at": at}
    clicked = clicks[0]
    times = {
        "total": (drawn - clicked) / 1000,
        "total_robot": robot,
        "aim": (clicked - before) / 1000,
        "at": at,  # wall-clock time of the call (to lay beside a server trace)
    }
    if done:
        last = done[-1]
        server = float(last["server"] or 0.0)
        times["server"] = server
        times["wire"] = max(0.0, (last["at"] - clicked) / 1000 - server)
        times["draw"] = max(0.0, (drawn - last["at"]) / 1000)
    return times


def one_round(
    browser, url: str, rng: random.Random, settle: float = 0.0
) -> dict[str, dict[str, float]]:
    page = login(browser, url)
    time.sleep(settle)  # a user reading the chat first: the page preloads its chart code
    times: dict[str, dict[str, float]] = {}
    times["first_load"] = timed(page, lambda: page.get_by_role("tab", name="驾驶舱").click(), 1)
    for depth, level in enumerate(LEVELS, 1):
        members = page.locator("#sp-drill-members .sp-member")
        pick = members.nth(rng.randrange(members.count()))
        times[f"drill_{level}"] = timed(page, pick.click, depth + 1)
    top = page.locator("#sp-breadcrumb .sp-crumb").first
    times["back_to_top"] = timed(page, top.click, 1)
    page.close()
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="DuckDB demo warehouse")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds between sign-in and opening the cockpit (default 0: at once)",
    )
    parser.add_argument("--raw", type=Path, help="write every round's timings (JSON) here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-cockpit-") as tmp:
        server, url = start_server(args.db.resolve(), Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                # the server's first cockpit: not counted
                cold = one_round(browser, url, rng, args.settle)
                rounds: dict[str, list] = {mode: [] for mode in MODES}
                for _ in range(args.rounds):
                    for mode in rng.sample(MODES, len(MODES)):  # both kinds, in random order
                        if mode == "new_data":
                            touch(args.db)
                        rounds[mode].append(one_round(browser, url, rng, args.settle))
                browser.close()
        finally:
            os.kill(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
    load_after = os.getloadavg()
    print(
        f"cockpit in Chromium, {args.db.name}, {args.rounds} rounds of each kind (+1 cold, not "
        f"counted), {os.cpu_count()} CPUs; load average (1, 5, 15 min) before "
        f"{_loads(load_before)}, after {_loads(load_after)}"
    )
    print(f"cold first load (server's first cockpit): {cold['first_load']['total']:.2f} s")
    for mode in MODES:
        report(mode, rounds[mode], baseline=rounds[MODES[0]])
    if args.raw is not None:
        args.raw.write_text(json.dumps(rounds, indent=1))


# "new_data": the warehouse file is touched before the round, so its data version changes and
# every step is computed (as after an ingest batch); "repeat": the same data as the rounds
# before, so a step already shown by then (the top, a member drilled into before) is kept.
MODES = ("new_data", "repeat")


def touch(db: Path) -> None:
    os.utime(db)  # a new modification time: a new data version, nothing kept is served


def report(mode: str, rounds: list[dict], baseline: list[dict]) -> None:
    """p50/p95 per step, its median ratio to the baseline kind's first load in the same
    rounds, and where the time went (p50 server, wire, draw)."""
    print(f"\n{mode}:")
    print(
        f"{'step':<20}{'p50 s':>8}{'p95 s':>8}{'×base 1st':>11}  {'goal':<16}"
        f"{'server':>8}{'wire':>8}{'draw':>8}{'aim':>8}  (p50 s)"
    )
    for step in rounds[0]:
        values = [r[step]["total"] for r in rounds]
        ratio = statistics.median(
            r[step]["total"] / b["first_load"]["total"]
            for r, b in zip(rounds, baseline, strict=True)
        )
        goal = GOALS["first_load"] if step == "first_load" else GOALS["drill"]
        verdict = "ok" if pct(values, 0.95) <= goal else "MISSED"
        parts = "".join(
            f"{pct([r[step][k] for r in rounds], 0.5):>8.2f}"
            if all(k in r[step] for r in rounds)
            else f"{'?':>8}"
            for k in ("server", "wire", "draw", "aim")
        )
        print(
            f"{step:<20}{pct(values, 0.5):>8.2f}{pct(values, 0.95):>8.2f}{ratio:>11.2f}  "
            f"{f'≤{goal:.0f} s p95 {verdict}':<16}{parts}"
        )
    # Every drill step of the rounds together (the goal is per step, whatever its level): with
    # few rounds a level's p95 is its slowest round, the pooled p95 a true 95th percentile.
    drills = [r[s]["total"] for r in rounds for s in r if s.startswith("drill_")]
    goal = GOALS["drill"]
    verdict = "ok" if pct(drills, 0.95) <= goal else "MISSED"
    print(
        f"{'all drill steps':<20}{pct(drills, 0.5):>8.2f}{pct(drills, 0.95):>8.2f}{'':>11}  "
        f"{f'≤{goal:.0f} s p95 {verdict}':<16}  ({len(drills)} steps)"
    )
    robot = [r[s]["total_robot"] for r in rounds for s in r if s.startswith("drill_")]
    print(
        f"{'  with the aim':<20}{pct(robot, 0.5):>8.2f}{pct(robot, 0.95):>8.2f}"
        "  (from Playwright's call, its scrolling and waiting included)"
    )


def _loads(loads: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in loads)


if __name__ == "__main__":
    main()
