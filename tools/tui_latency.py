#!/usr/bin/env python3
"""TUI responsiveness for `make bench` (bench/run_bench.sh, issue 6: "the TUI
stays responsive (keys handled, screen redrawn within 50 ms) while
computing"), measured end to end as a user sees it.

Starts `hrmscope tui` in a pseudo-terminal of a given size, reads everything
it writes into a small terminal emulator (the screen a user would see), and
times the moment a key is written to the moment the screen shows its effect:

  idle      the chart metric key (c) pressed N times with nothing computing;
  busy      r (run to the end) pressed first, then c pressed N times while
            the compute thread works (the header says "computing");
  resize    a storm of window-size changes (TIOCSWINSZ on the pty master,
            so SIGWINCH each time), then c pressed again: the program must
            still answer within the bound, and still be alive;
then q, and the program must exit with status 0.

c cycles the metric of both residual charts; each metric puts its own title
on screen (ui/view_charts.c, metric_titles).  Before each press the script
reads which title is shown and expects the next one: a press counts as
redrawn when every chart shows the next title and the old one is gone, which
bytes written before the key cannot do (the emulator's screen, not a search
of the byte stream: curses writes only the cells that change).  A press unanswered after --timeout
seconds counts as a timeout (a failure), never a hang.

Prints one JSON object per line (kind "tui_latency" per phase, then one of
kind "tui_session"), as the other bench programs do; bench/run_bench.sh
collects them and tools/bench_report.py makes the table rows.  A phase's
figures: median, p95 (nearest rank) and max in ms over its answered presses
(in the busy phase, only the presses made while the header said computing
both before the key and when the new title showed), n, presses, busy (how
many presses happened while computing), timeouts; met = p95 <= --bound-ms and
no timeout.  Per press, where the time went, from the kernel's per-thread
counters (/proc/PID/task/TID/schedstat): ui_cpu_ms (the UI thread on a CPU),
ui_wait_ms (the UI thread runnable, waiting for a CPU; the kernel adds a wait
when the thread gets the CPU, so it may include waiting begun before the
key) and harness_wait_ms (this script waiting for a CPU).  The session line:
startup_s (to the first full screen), quit_screen_ms (q to the terminal
given back), quit_s (q to the process gone), exit_status.

    tui_latency.py [--hrmscope PATH] [--model DIR] [--puzzle FILE] [--threads N]
                   [--cols 120] [--rows 40] [--presses 30] [--label L] ...

Python standard library only.
"""

import argparse
import codecs
import errno
import fcntl
import json
import math
import os
import pty
import random
import re
import select
import signal
import statistics
import struct
import sys
import termios
import time
import unicodedata

sys.dont_write_bytecode = True

# ui/view_charts.c, metric_titles[]: what each chart metric (key c) shows
METRIC_LABELS = ("abs L2 ||dz||", "relative ||dz||/||z||", "per-token RMS")
METRIC_KEY = b"c"
RUN_KEY = b"r"
QUIT_KEY = b"q"

# DEC special graphics (ESC ( 0), for line drawing outside UTF-8 mode
DEC_GRAPHICS = str.maketrans("`afgjklmnopqrstuvwxyz{|}~",
                             "\u25c6\u2592\u00b0\u00b1\u2518\u2510\u250c\u2514\u253c\u23ba\u23bb\u2500"
                             "\u23bc\u23bd\u251c\u2524\u2534\u252c\u2502\u2264\u2265\u03c0\u2260\u00a3\u00b7")

TOKEN = re.compile(r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI
                   r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
                   r"|\x1b[\x20-\x2f]+[\x30-\x7e]"  # charset designation and friends
                   r"|\x1b[\x30-\x5a\x5c\x5e-\x7e]"  # two-character escapes (not CSI, OSC)
                   r"|[\x00-\x1a\x1c-\x1f\x7f]"  # C0 controls but ESC
                   r"|[^\x00-\x1f\x7f]+")  # text


class Screen:
    """What an xterm would show: the cells only (attributes and colours are
    dropped), with the controls ncurses uses for TERM=xterm-256color."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.top, self.bot = 0, rows - 1
        self.wrap = False
        self.saved = (0, 0)
        self.g = ["B", "B"]
        self.gl = 0
        self.last = " "
        self.alt = False  # on the alternate screen (curses' smcup), until rmcup
        self.pending = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def resize(self, rows, cols):
        grid = [[" "] * cols for _ in range(rows)]
        for r in range(min(rows, self.rows)):
            n = min(cols, self.cols)
            grid[r][:n] = self.grid[r][:n]
        self.grid, self.rows, self.cols = grid, rows, cols
        self.top, self.bot = 0, rows - 1
        self.x, self.y = min(self.x, cols - 1), min(self.y, rows - 1)
        self.wrap = False

    def text(self):
        return "\n".join("".join(r) for r in self.grid)

    def line(self, r):
        return "".join(self.grid[r]) if 0 <= r < self.rows else ""

    # -- input
    def feed(self, data):
        s = self.pending + self.decoder.decode(data)
        self.pending = ""
        i, n = 0, len(s)
        while i < n:
            m = TOKEN.match(s, i)
            if m is None:  # an ESC no complete sequence follows
                if n - i < 512:  # cut by the read: finish it with the next bytes
                    self.pending = s[i:]
                    return
                i += 1  # malformed: drop the ESC
                continue
            tok = m.group()
            i = m.end()
            c = tok[0]
            if c == "\x1b":
                self._escape(tok)
            elif c < " " or c == "\x7f":
                self._control(c)
            else:
                self._print(tok)

    # -- text
    def _print(self, s):
        if self.g[self.gl] == "0":
            s = s.translate(DEC_GRAPHICS)
        if not s.isascii() and any(unicodedata.east_asian_width(ch) in "WF" or unicodedata.combining(ch)
                                   for ch in s):
            for ch in s:
                if unicodedata.combining(ch):
                    continue
                self._put(ch)
                if unicodedata.east_asian_width(ch) in "WF":
                    self._put("")
            return
        while s:
            if self.wrap:
                self.x = 0
                self._linefeed()
            row = self.grid[self.y]
            room = self.cols - self.x
            part, s = s[:room], s[room:]
            row[self.x:self.x + len(part)] = part
            self.last = part[-1]
            if self.x + len(part) >= self.cols:
                self.x, self.wrap = self.cols - 1, True
            else:
                self.x += len(part)

    def _put(self, ch):
        if self.wrap:
            self.x = 0
            self._linefeed()
        self.grid[self.y][self.x] = ch
        if ch:
            self.last = ch
        if self.x + 1 >= self.cols:
            self.wrap = True
        else:
            self.x += 1

    def _blank_rows(self, n):
        return [[" "] * self.cols for _ in range(n)]

    def _scroll_up(self, n):
        n = min(n, self.bot - self.top + 1)
        del self.grid[self.top:self.top + n]
        self.grid[self.bot - n + 1:self.bot - n + 1] = self._blank_rows(n)

    def _scroll_down(self, n):
        n = min(n, self.bot - self.top + 1)
        del self.grid[self.bot - n + 1:self.bot + 1]
        self.grid[self.top:self.top] = self._blank_rows(n)

    def _linefeed(self):
        self.wrap = False
        if self.y == self.bot:
            self._scroll_up(1)
        elif self.y < self.rows - 1:
            self.y += 1

    def _control(self, c):
        if c == "\r":
            self.x, self.wrap = 0, False
        elif c in "\n\x0b\x0c":
            self._linefeed()
        elif c == "\b":
            self.x, self.wrap = max(0, self.x - 1), False
        elif c == "\t":
            self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
        elif c == "\x0e":
            self.gl = 1
        elif c == "\x0f":
            self.gl = 0

    # -- escapes
    def _escape(self, tok):
        if tok.startswith("\x1b["):
            self._csi(tok[2:-1], tok[-1])
            return
        if tok.startswith("\x1b]"):
            return
        if len(tok) == 3 and tok[1] in "()":
            self.g[0 if tok[1] == "(" else 1] = tok[2]
            return
        c = tok[1] if len(tok) == 2 else ""
        if c == "7":
            self.saved = (self.x, self.y)
        elif c == "8":
            self.x, self.y = self.saved
            self.wrap = False
        elif c == "D":
            self._linefeed()
        elif c == "E":
            self.x = 0
            self._linefeed()
        elif c == "M":
            self.wrap = False
            if self.y == self.top:
                self._scroll_down(1)
            elif self.y > 0:
                self.y -= 1
        elif c == "c":
            self.__init__(self.rows, self.cols)

    def _csi(self, body, final):
        priv = body[:1] if body[:1] in ("?", ">", "<", "=") else ""
        body = body[len(priv):]
        inter = ""
        while body and "\x20" <= body[-1] <= "\x2f":
            inter = body[-1] + inter
            body = body[:-1]
        args = []
        for p in body.split(";") if body else []:
            try:
                args.append(int(p.split(":")[0]) if p else 0)
            except ValueError:
                args.append(0)

        def arg(i, default=1):
            return args[i] if i < len(args) and args[i] > 0 else default

        if inter:
            if inter == "!" and final == "p":  # soft reset
                self.top, self.bot = 0, self.rows - 1
            return
        if priv:
            if priv == "?" and final in "hl" and any(a in (47, 1047, 1049) for a in args):
                self._erase_rows(0, self.rows)
                self.alt = final == "h"
                if final == "h" and 1049 in args:
                    self.saved = (self.x, self.y)
            return
        if final == "m":
            return
        cols, rows = self.cols, self.rows
        clamp_x = lambda v: max(0, min(cols - 1, v))  # noqa: E731
        clamp_y = lambda v: max(0, min(rows - 1, v))  # noqa: E731
        self.wrap = False
        if final in "Hf":
            self.y, self.x = clamp_y(arg(0) - 1), clamp_x(arg(1) - 1)
        elif final == "A":
            self.y = max(self.top if self.y >= self.top else 0, self.y - arg(0))
        elif final == "B":
            self.y = min(self.bot if self.y <= self.bot else rows - 1, self.y + arg(0))
        elif final == "C":
            self.x = clamp_x(self.x + arg(0))
        elif final == "D":
            self.x = clamp_x(self.x - arg(0))
        elif final == "E":
            self.x, self.y = 0, clamp_y(self.y + arg(0))
        elif final == "F":
            self.x, self.y = 0, clamp_y(self.y - arg(0))
        elif final in "G`":
            self.x = clamp_x(arg(0) - 1)
        elif final == "d":
            self.y = clamp_y(arg(0) - 1)
        elif final == "J":
            mode = args[0] if args else 0
            if mode == 0:
                self.grid[self.y][self.x:] = [" "] * (cols - self.x)
                self._erase_rows(self.y + 1, rows)
            elif mode == 1:
                self._erase_rows(0, self.y)
                self.grid[self.y][:self.x + 1] = [" "] * (self.x + 1)
            else:
                self._erase_rows(0, rows)
        elif final == "K":
            mode = args[0] if args else 0
            row = self.grid[self.y]
            if mode == 0:
                row[self.x:] = [" "] * (cols - self.x)
            elif mode == 1:
                row[:self.x + 1] = [" "] * (self.x + 1)
            else:
                row[:] = [" "] * cols
        elif final == "X":
            n = min(arg(0), cols - self.x)
            self.grid[self.y][self.x:self.x + n] = [" "] * n
        elif final == "P":
            n = min(arg(0), cols - self.x)
            row = self.grid[self.y]
            del row[self.x:self.x + n]
            row.extend([" "] * n)
        elif final == "@":
            n = min(arg(0), cols - self.x)
            row = self.grid[self.y]
            row[self.x:self.x] = [" "] * n
            del row[cols:]
        elif final in "LM":
            if self.top <= self.y <= self.bot:
                top = self.top
                self.top = self.y
                (self._scroll_down if final == "L" else self._scroll_up)(arg(0))
                self.top = top
                self.x = 0
        elif final == "S":
            self._scroll_up(arg(0))
        elif final == "T" and len(args) <= 1:
            self._scroll_down(arg(0))
        elif final == "r":
            top, bot = arg(0) - 1, arg(1, rows) - 1
            if 0 <= top < bot < rows:
                self.top, self.bot = top, bot
            else:
                self.top, self.bot = 0, rows - 1
            self.x = self.y = 0
        elif final == "b":
            self._print(self.last * arg(0))
        elif final == "s":
            self.saved = (self.x, self.y)
        elif final == "u":
            self.x, self.y = self.saved

    def _erase_rows(self, a, b):
        for r in range(max(0, a), min(self.rows, b)):
            self.grid[r] = [" "] * self.cols


class Session:
    """hrmscope in a pty: its output read as it comes, into a Screen."""

    def __init__(self, argv, rows, cols, env, dump=None):
        self.rows, self.cols = rows, cols
        self.screen = Screen(rows, cols)
        self.dump = open(dump, "wb") if dump else None
        self.status = None
        self.eof = False
        pid, fd = pty.fork()
        if pid == 0:  # the child: its window size before curses asks for it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(argv[0], argv, env)
            except OSError as e:
                os.write(2, ("tui_latency: cannot run %s: %s\n" % (argv[0], e)).encode())
            os._exit(127)
        self.pid, self.fd = pid, fd
        fl = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)

    def _read_available(self, timeout):
        """Reads what is there (waiting up to timeout for the first bytes),
        each chunk stamped when it was read; parsing comes after, so it
        delays no timestamp."""
        chunks = []
        if self.eof:
            if timeout > 0:
                time.sleep(timeout)
            return chunks
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        while r:
            try:
                b = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                b = b""
            now = time.monotonic()
            if not b:  # EIO or EOF: the child closed the terminal
                self.eof = True
                break
            chunks.append((now, b))
            r, _, _ = select.select([self.fd], [], [], 0)
        return chunks

    def wait_for(self, pred, timeout):
        """The time the screen first satisfied pred, or None after timeout.
        Checks the screen as it is now, then after each chunk read."""
        if pred(self.screen):
            return time.monotonic()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            hit = None
            for t, b in self._read_available(min(left, 0.5)):
                if self.dump:
                    self.dump.write(b)
                self.screen.feed(b)
                if hit is None and pred(self.screen):
                    hit = t  # and read the rest of what came: the screen stays whole
            if hit is not None:
                return hit
            if self.eof and not self.alive():
                return None

    def pump(self, seconds):
        """Keeps reading (the program must never block on a full pty) for
        a while."""
        self.wait_for(lambda s: False, seconds)

    def send(self, key):
        t = time.monotonic()
        os.write(self.fd, key)
        return t

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.screen.resize(rows, cols)
        self.rows, self.cols = rows, cols

    def alive(self):
        if self.status is not None:
            return False
        pid, st = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.status = st
        return False

    def wait_exit(self, timeout):
        """The time it exited, or None; reads its output meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return time.monotonic()
            self.pump(0.02)
        return None

    def kill(self):
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if not self.alive():
                return
            os.kill(self.pid, sig)
            self.wait_exit(wait)

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.dump:
            self.dump.close()


# -- what the screen says
def header(s):
    return s.line(0) + "\n" + s.line(1)


def computing(s):
    return "computing" in header(s)


def shown_metric(s):
    """Index of the metric title on screen, or None (none, or two of them)."""
    text = s.text()
    found = [i for i, lab in enumerate(METRIC_LABELS) if lab in text]
    return found[0] if len(found) == 1 else None


def full_screen(s):
    """The first whole screen: the header, a chart title, the key hints of
    the status line, and no "loading" in the header."""
    return ("hrmscope" in s.line(0) and shown_metric(s) is not None and "quit" in s.line(s.rows - 1)
            and "loading" not in header(s))


# -- where the time went: the kernel's per-thread counters (CONFIG_SCHED_INFO)
def schedstat(path):
    """(ns on a CPU, ns waiting runnable on a run queue) of one thread, or None."""
    try:
        with open(path) as f:
            cpu, wait = f.read().split()[:2]
        return int(cpu), int(wait)
    except (OSError, ValueError):
        return None


def sched_delta(before, after):
    if before is None or after is None:
        return None, None
    return round((after[0] - before[0]) / 1e6, 2), round((after[1] - before[1]) / 1e6, 2)


# -- statistics
def percentile(xs, q):
    """Nearest rank: the smallest sample with at least q of them at or below."""
    if not xs:
        return None
    ys = sorted(xs)
    return ys[max(0, math.ceil(q * len(ys)) - 1)]


def summary(samples, timeouts, bound_ms):
    """median, p95 (nearest rank), max; met: p95 within the bound and no
    press lost."""
    out = {"n": len(samples), "timeouts": timeouts, "median_ms": None, "p95_ms": None, "max_ms": None,
           "min_ms": None}
    if samples:
        out.update(median_ms=round(statistics.median(samples), 2), p95_ms=round(percentile(samples, 0.95), 2),
                   max_ms=round(max(samples), 2), min_ms=round(min(samples), 2))
    out["bound_ms"] = bound_ms
    out["met"] = bool(samples) and timeouts == 0 and out["p95_ms"] <= bound_ms
    return out


def press_metric(sess, timeout, log):
    """One press of c: (latency in ms or None on a timeout, busy before,
    busy when redrawn)."""
    s = sess.screen
    cur = shown_metric(s)
    if cur is None:  # settle: the last frame may be half read
        sess.wait_for(lambda sc: shown_metric(sc) is not None, 2.0)
        cur = shown_metric(s)
        if cur is None:
            raise RuntimeError("no chart metric title on screen (is the terminal too small?)\n" + s.text())
    old, new = METRIC_LABELS[cur], METRIC_LABELS[(cur + 1) % len(METRIC_LABELS)]
    # both charts carry the title: redrawn when every one of them shows the new one
    charts = s.text().count(old)
    busy_before = computing(s)
    ui_path = "/proc/%d/task/%d/schedstat" % (sess.pid, sess.pid)  # the UI runs on the main thread
    ui0, me0 = schedstat(ui_path), schedstat("/proc/thread-self/schedstat")
    t0 = sess.send(METRIC_KEY)
    t1 = sess.wait_for(lambda sc: old not in sc.text() and sc.text().count(new) >= charts, timeout)
    ui_cpu, ui_wait = sched_delta(ui0, schedstat(ui_path))
    _, me_wait = sched_delta(me0, schedstat("/proc/thread-self/schedstat"))
    why = {"ui_cpu_ms": ui_cpu, "ui_wait_ms": ui_wait, "harness_wait_ms": me_wait, "sent_at": t0}
    if t1 is None:
        log("timeout: %r did not replace %r within %.1f s" % (new, old, timeout))
        # resynchronise: a late redraw shows up during the next pause
        return None, busy_before, computing(s), why
    return (t1 - t0) * 1e3, busy_before, computing(s), why


def measure(sess, phase, presses, pause, timeout, bound_ms, rng, log, first_pause=True):
    samples, busy_samples, timeouts, busy_n, busy_timeouts = [], [], 0, 0, 0
    whys = {"ui_cpu_ms": [], "ui_wait_ms": [], "harness_wait_ms": []}
    for i in range(presses):
        if i > 0 or first_pause:
            sess.pump(pause * (0.5 + rng.random()))  # jitter: no lock-step with the 250 ms busy tick
        if not sess.alive():
            raise RuntimeError("hrmscope exited during the %s presses (status %r)" % (phase, sess.status))
        ms, b0, b1, why = press_metric(sess, timeout, log)
        busy = b0 and b1
        if phase != "busy" or busy:
            for k in whys:
                whys[k].append(why[k])
        busy_n += busy
        if ms is None:
            timeouts += 1
            busy_timeouts += busy
        else:
            samples.append(ms)
            if busy:
                busy_samples.append(ms)
        log("%s press %d (sent at %.6f, CLOCK_MONOTONIC): %s%s; UI thread %s ms on a CPU, %s ms waiting for "
            "one; this script %s ms waiting"
            % (phase, i + 1, why["sent_at"], "timeout" if ms is None else "%.1f ms" % ms,
               " (computing)" if busy else "", why["ui_cpu_ms"], why["ui_wait_ms"], why["harness_wait_ms"]))
    if phase == "busy":  # only the presses made while it computed
        out = summary(busy_samples, busy_timeouts, bound_ms)
    else:
        out = summary(samples, timeouts, bound_ms)
    out.update({"presses": presses, "busy": busy_n, "samples_ms": [round(x, 2) for x in samples]})
    # per press (of the presses the figures count): where the time went
    out.update(whys)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--hrmscope", default=os.path.join(here, "..", "hrmscope"))
    ap.add_argument("--model", help="checkpoint directory (default: hrmscope's embedded model)")
    ap.add_argument("--puzzle")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--term", default="xterm-256color")
    ap.add_argument("--presses", type=int, default=30, help="presses per phase (default 30)")
    ap.add_argument("--pause", type=float, default=0.2, help="mean seconds between presses (default 0.2)")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds before a press counts as lost")
    ap.add_argument("--start-timeout", type=float, default=120.0, help="seconds to the first full screen")
    ap.add_argument("--bound-ms", type=float, default=50.0, help="the target (default 50, issue 6)")
    ap.add_argument("--no-busy", action="store_true", help="skip the presses while computing")
    ap.add_argument("--resizes", type=int, default=40, help="window size changes in the storm (0: none)")
    ap.add_argument("--resize-presses", type=int, default=20)
    ap.add_argument("--label", default="tui", help="prefix of the JSON labels")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dump", help="write the raw terminal output here")
    ap.add_argument("-v", "--verbose", action="store_true", help="every press on stderr")
    a = ap.parse_args()

    def log(msg):
        if a.verbose:
            print("tui_latency: " + msg, file=sys.stderr)

    argv = [os.path.abspath(a.hrmscope), "tui"]
    if a.model:
        argv += ["--model", a.model]
    if a.puzzle:
        argv += ["--puzzle", a.puzzle]
    if a.threads:
        argv += ["--threads", str(a.threads)]
    env = dict(os.environ)
    env["TERM"] = a.term
    for k in ("COLUMNS", "LINES", "NO_COLOR", "TMUX"):
        env.pop(k, None)
    locale = (env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or "").upper()
    if "UTF-8" not in locale and "UTF8" not in locale:  # the screen a user sees: UTF-8 blocks and marks
        env["LC_ALL"] = "C.UTF-8"
    rng = random.Random(a.seed)
    base = {"kind": "tui_latency", "impl": "hrmscope", "key": METRIC_KEY.decode(), "cols": a.cols, "rows": a.rows,
            "term": a.term, "threads": a.threads, "model": a.model or "embedded", "puzzle": a.puzzle or "default"}
    session = {"kind": "tui_session", "impl": "hrmscope", "label": a.label, "cols": a.cols, "rows": a.rows,
               "threads": a.threads, "model": a.model or "embedded", "puzzle": a.puzzle or "default"}
    lines = []
    ok = True

    t_spawn = time.monotonic()
    sess = Session(argv, a.rows, a.cols, env, a.dump)
    try:
        t = sess.wait_for(full_screen, a.start_timeout)
        if t is None:
            screen = sess.screen.text().rstrip()
            if not sess.alive():
                raise RuntimeError("hrmscope exited before its first full screen; the screen:\n" + screen)
            raise RuntimeError("no full screen within %.0f s; the screen:\n%s" % (a.start_timeout, screen))
        session["startup_s"] = round(t - t_spawn, 3)
        log("first full screen after %.2f s" % (t - t_spawn))
        sess.pump(0.3)

        r = measure(sess, "idle", a.presses, a.pause, a.timeout, a.bound_ms, rng, log)
        lines.append(dict(base, label=a.label + "_idle", phase="idle", **r))

        if not a.no_busy:
            t0 = sess.send(RUN_KEY)
            t1 = sess.wait_for(computing, 10.0)
            session["run_to_computing_ms"] = round((t1 - t0) * 1e3, 2) if t1 else None
            if t1 is None:
                log("r: the header never said computing (a model too fast to see it)")
            r = measure(sess, "busy", a.presses, a.pause, a.timeout, a.bound_ms, rng, log)
            lines.append(dict(base, label=a.label + "_busy", phase="busy", **r))

        if a.resizes > 0:
            sizes = [(a.rows - 5, a.cols - 20), (a.rows + 3, a.cols + 10), (a.rows, a.cols - 7), (a.rows - 2, a.cols)]
            busy_at_storm = computing(sess.screen)
            t0 = time.monotonic()
            for i in range(a.resizes - 1):
                sess.resize(*sizes[i % len(sizes)])
                sess.pump(0.005 + 0.02 * rng.random())
            sess.resize(a.rows, a.cols)
            storm_s = time.monotonic() - t0
            log("%d resizes in %.2f s" % (a.resizes, storm_s))
            t1 = sess.wait_for(full_screen, a.timeout)  # the repaint at the final size
            repaint_ms = round((t1 - t0 - storm_s) * 1e3, 2) if t1 else None
            r = measure(sess, "resize", a.resize_presses, a.pause, a.timeout, a.bound_ms, rng, log, first_pause=False)
            alive = sess.alive()
            r["met"] = r["met"] and alive
            lines.append(dict(base, label=a.label + "_resize", phase="resize", resizes=a.resizes,
                              busy_at_storm=busy_at_storm, repaint_after_storm_ms=repaint_ms, alive=alive, **r))

        busy_at_quit = computing(sess.screen)
        t0 = sess.send(QUIT_KEY)
        t_screen = sess.wait_for(lambda sc: not sc.alt, 60.0)  # the terminal given back
        t1 = sess.wait_exit(60.0)  # the process gone: the shell prompt back
        session["busy_at_quit"] = busy_at_quit
        session["quit_screen_ms"] = round((t_screen - t0) * 1e3, 2) if t_screen else None
        session["quit_s"] = round(t1 - t0, 3) if t1 else None
        if t1 is None:
            ok = False
            print("tui_latency: hrmscope did not exit within 60 s of q; killing it", file=sys.stderr)
            sess.kill()
    except (RuntimeError, OSError) as e:
        ok = False
        print("tui_latency: %s" % e, file=sys.stderr)
        sess.kill()
    finally:
        if sess.alive():
            sess.kill()
        sess.close()
    st = sess.status
    if st is not None and os.WIFEXITED(st):
        session["exit_status"] = os.WEXITSTATUS(st)
    elif st is not None and os.WIFSIGNALED(st):
        session["exit_status"] = 128 + os.WTERMSIG(st)
        session["signal"] = os.WTERMSIG(st)
    else:
        session["exit_status"] = None
    ok = ok and session["exit_status"] == 0
    session["ok"] = ok
    for line in lines + [session]:
        print(json.dumps(line))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
