#!/usr/bin/env python3
"""tock watch on a pseudo-terminal, as an operator uses it: it shows a
paused run's tasks, 'h' holds the selected one (the scheduler says so), 'p'/'P'
pause and resume, the screen follows the run live, 'q' quits with status 0
and gives the terminal back.
    check_watch.py TOCK FLOW"""
import os, pty, select, subprocess, sys, tempfile, time, re

tock, flow = sys.argv[1], sys.argv[2]
home = tempfile.mkdtemp()
env = dict(os.environ, HOME=home, TERM="xterm")


def fail(why, screen=""):
    print("FAIL:", why)
    print(screen[-3000:])
    subprocess.run([tock, "stop", "ops", "--now"], env=env, capture_output=True)
    sys.exit(1)


def run(*args):
    return subprocess.run([tock, *args], env=env, capture_output=True, text=True)


r = run("play", flow, "--pause")
if r.returncode != 0:
    fail("play: " + r.stderr)
pid, fd = pty.fork()
if pid == 0:
    os.execve(tock, [tock, "watch", "ops"], env)
screen = ""


def read_until(pattern, seconds=10):
    global screen
    deadline = time.time() + seconds
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                screen += os.read(fd, 65536).decode(errors="replace")
            except OSError:
                break
        # What the last full redraw shows.
        last = screen[screen.rfind("\033[H\033[2J"):]
        if re.search(pattern, last):
            return last
    fail("the screen never showed " + pattern, screen)


read_until(r"ops: paused")
read_until(r">\s+1\s+a\s+waiting")
os.write(fd, b"h")  # hold 1/a, the first task
read_until(r"hold: .*1/a")
read_until(r"1/a waiting \(held\)")
shown = run("show", "ops//1/a").stdout
if "held" not in shown:
    fail("1/a is not held after 'h': " + shown, screen)
os.write(fd, b"P")  # resume: the other tasks run, the screen follows
read_until(r"2\s+a\s+.*succeeded|2/a succeeded", 15)
os.write(fd, b"r")  # release 1/a
read_until(r"1/c succeeded", 15)
os.write(fd, b"q")
while True:  # what it wrote as it quit, to the end
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    screen += chunk.decode(errors="replace")
_, status = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    fail("tock watch exited %d" % os.waitstatus_to_exitcode(status), screen)
if not screen.rstrip().endswith("\033[?1049l"):
    fail("the terminal was not given back (no exit from the alternate screen)", screen)
print("tock watch: ok")
