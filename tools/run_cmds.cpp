// `tock scan`, `tock cat-log`, `tock clean`: the run directories as an
// operator sees them. Nothing here talks to a scheduler but live_state():
// whether a scheduler is alive is its lock (RUN/.service/lock, held by the
// scheduler for its whole life: tools/play.cpp's lock_run), and what a run
// did is in its files and its database, read-only.
#include "tools/run_cmds.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/workflow.hpp"
#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "tools/play.hpp"

namespace tock::cmd {

std::string live_state(const std::string& commands_endpoint) {
    // The scheduler's own word: running, paused or stopping.
    Loop loop;
    ChannelOptions o;
    o.heartbeat_interval = std::chrono::milliseconds(500);
    o.heartbeat_timeout = std::chrono::seconds(2);
    Channel ch(loop, commands_endpoint, o);
    try {
        const Json r = run_until(loop, ch.call("ping"));
        return r.value("status", "running");
    } catch (const std::exception&) {
        return "not answering";
    }
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A descriptor, closed when it goes.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

fs::path runs_base() {
    const char* home = std::getenv("HOME");
    return fs::path(home ? home : ".") / "tock-run";
}

bool there(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec);
}

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

// N of a directory named runN, or -1.
int run_number(const std::string& name) {
    if (name.size() < 4 || name.size() > 12 || name.compare(0, 3, "run") != 0) return -1;
    if (!std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return -1;
    return std::stoi(name.substr(3));
}

// A run that scan lists and NAME finds: it has a database or a contact file.
bool is_run(const fs::path& d) {
    return there(d / "db") || there(d / ".service" / "contact");
}

// What tock play makes of a run directory, even one whose install failed:
// scan does not list those, but --run-dir takes them.
bool is_run_dir(const fs::path& d) {
    return is_run(d) || (is_dir(d / ".service") && is_dir(d / "log"));
}

struct RunRef {
    int n;
    fs::path dir;
};

// The runN directories of a workflow's directory, by N: the runs only, or
// (any) every runN directory.
std::vector<RunRef> runs_in(const fs::path& name_dir, bool any) {
    std::vector<RunRef> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(name_dir, ec)) {
        const int n = run_number(e.path().filename().string());
        std::error_code dir_ec;
        if (n < 0 || !e.is_directory(dir_ec)) continue;
        if (any || is_run(e.path())) out.push_back({n, e.path()});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.n < b.n; });
    return out;
}

// NAME or NAME/runN, under ~/tock-run: no absolute path, no '..'.
bool valid_workflow_id(const std::string& id) {
    if (id.empty() || id.front() == '/' || id.back() == '/') return false;
    std::size_t start = 0;
    while (start <= id.size()) {
        const auto slash = id.find('/', start);
        const std::string part =
            id.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.empty() || part == "." || part == "..") return false;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return true;
}

// The run a workflow id names: ~/tock-run/NAME/runN itself, or the latest
// run of NAME (the highest N, whatever N are missing below it).
std::optional<fs::path> find_run(const std::string& id, std::string& why) {
    const fs::path p = runs_base() / id;
    if (is_run(p)) return p;
    const auto runs = runs_in(p, false);
    if (!runs.empty()) return runs.back().dir;
    if (is_dir(p)) {
        why = fmt::format("workflow '{}' has no run in {}", id, p.string());
    } else {
        why = fmt::format("no {} '{}' under {}",
                          run_number(p.filename().string()) >= 0 ? "run" : "workflow", id,
                          runs_base().string());
    }
    return std::nullopt;
}

// Is a scheduler holding the run's lock? Tried on a fresh descriptor and let
// go at once (closing it does): getting it means there is no scheduler.
bool lock_held(const fs::path& run) {
    const int fd = ::open((run / ".service" / "lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // never locked: no scheduler ever started there
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
}

struct Contact {
    bool exists = false;
    std::string host, commands;
    long pid = 0;
};

// RUN/.service/contact, as far as it can be read: keys missing or of
// another type are left empty.
Contact read_contact(const fs::path& run) {
    Contact c;
    const fs::path path = run / ".service" / "contact";
    if (!there(path)) return c;
    c.exists = true;
    std::ifstream f(path);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return c;
    try {
        c.host = j.value("host", "");
        c.commands = j.value("commands", "");
        c.pid = j.value("pid", 0L);
    } catch (const json::exception&) {
    }
    return c;
}

bool process_alive(long pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

// The process that has the run's lock file open (a scheduler keeps it open
// for its life, and its jobs do not inherit it), from /proc; 0 if none.
long lock_holder(const fs::path& run) {
    struct stat lock {};
    if (::stat((run / ".service" / "lock").c_str(), &lock) != 0) return 0;
    std::error_code ec;
    for (const auto& p : fs::directory_iterator("/proc", ec)) {
        const std::string name = p.path().filename().string();
        if (name.empty() ||
            !std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            continue;
        const long pid = std::stol(name);
        if (pid == ::getpid()) continue;
        std::error_code fd_ec;
        for (const auto& fd : fs::directory_iterator(p.path() / "fd", fd_ec)) {
            struct stat st {};
            if (::stat(fd.path().c_str(), &st) == 0 && st.st_dev == lock.st_dev &&
                st.st_ino == lock.st_ino)
                return pid;
        }
    }
    return 0;
}

// The pid of the scheduler that holds the run's lock: its contact file's,
// or else whoever has the lock file open.
long scheduler_pid(const fs::path& run, const Contact& c) {
    if (c.exists && process_alive(c.pid)) return c.pid;
    return lock_holder(run);
}

// One value of the run database's workflow_params. Queries only: a live
// scheduler's database is read, never written. Not SQLITE_OPEN_READONLY: a
// read-only connection to a database in WAL mode makes its -wal and -shm
// files and cannot remove them, which would leave them in every run that
// `tock scan` looked at; a connection that may write, the last one to
// close, removes them (as the scheduler does when it ends).
std::optional<std::string> db_param(const fs::path& run, const char* key) {
    const fs::path path = run / "db";
    if (!there(path)) return std::nullopt;
    std::optional<std::string> out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
        sqlite3_exec(db, "PRAGMA query_only = 1", nullptr, nullptr, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT value FROM workflow_params WHERE key = ?1", -1, &st,
                               nullptr) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) {
                if (const auto* t = sqlite3_column_text(st, 0))
                    out = reinterpret_cast<const char*>(t);
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

struct RunView {
    std::string name;
    fs::path dir;
    bool live = false;
    std::string state, host;
    long pid = 0;
    std::optional<std::string> status;  // the database's, once a run has ended
};

const char* const kLeftover = "stopped (contact file left by a dead scheduler)";

RunView view_run(const std::string& name, const fs::path& dir) {
    RunView v;
    v.name = name;
    v.dir = dir;
    // The lock before the contact file: a scheduler removes its contact file
    // before it lets go of the lock, so a contact file seen after the lock was
    // found free is a leftover, or one written by a scheduler that has just
    // started (the lock, tried again, says which).
    bool held = lock_held(dir);
    const Contact c = read_contact(dir);
    if (c.exists && !held) held = lock_held(dir);
    v.status = db_param(dir, "status");
    if (c.exists && held) {
        v.live = true;
        v.state = live_state(c.commands);
        v.host = c.host;
        v.pid = c.pid;
    } else if (c.exists) {
        v.state = kLeftover;
    } else if (held) {
        v.state = "starting or stopping";
        v.pid = lock_holder(dir);
        char host[256] = "";
        ::gethostname(host, sizeof host - 1);
        v.host = host;
    } else {
        v.state = v.status.value_or("stopped (unfinished)");
    }
    return v;
}

}  // namespace

std::vector<LiveRun> live_runs() {
    std::vector<LiveRun> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(runs_base(), ec)) {
        std::error_code dir_ec;
        if (!e.is_directory(dir_ec)) continue;
        for (const auto& r : runs_in(e.path(), false)) {
            const Contact c = read_contact(r.dir);
            if (c.exists && lock_held(r.dir))
                out.push_back({e.path().filename().string(), r.dir.string(), c.pid});
        }
    }
    std::sort(out.begin(), out.end(), [](const LiveRun& a, const LiveRun& b) {
        return std::tie(a.name, a.dir) < std::tie(b.name, b.dir);
    });
    return out;
}

std::string run_status(const std::string& dir) {
    return db_param(dir, "status").value_or("");
}

std::vector<int> job_numbers(const fs::path& task_dir) {
    std::vector<int> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(task_dir, ec)) {
        const std::string n = e.path().filename().string();
        if (!n.empty() && n.size() <= 6 &&
            std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
            out.push_back(std::stoi(n));
    }
    std::sort(out.begin(), out.end());
    return out;
}

int scan(const ScanOptions& o) {
    std::vector<RunView> rows;
    std::vector<fs::path> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(runs_base(), ec)) {
        std::error_code dir_ec;
        if (e.is_directory(dir_ec)) names.push_back(e.path());
    }
    std::sort(names.begin(), names.end());
    for (const auto& name_dir : names) {
        for (const auto& r : runs_in(name_dir, false)) {
            RunView v = view_run(name_dir.filename().string(), r.dir);
            if (v.live || o.all) rows.push_back(std::move(v));
        }
    }
    auto host_pid = [](const RunView& v) {
        return v.pid > 0 ? fmt::format("{}:{}", v.host.empty() ? "?" : v.host, v.pid)
                         : std::string("-");
    };
    if (o.json) {
        json out = json::array();
        for (const auto& v : rows) {
            json r = {{"name", v.name},
                      {"run_dir", v.dir.string()},
                      {"state", v.state},
                      {"live", v.live},
                      {"host", v.pid > 0 ? json(v.host) : json(nullptr)},
                      {"pid", v.pid > 0 ? json(v.pid) : json(nullptr)},
                      {"status", v.status ? json(*v.status) : json(nullptr)}};
            out.push_back(std::move(r));
        }
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    if (rows.empty()) {
        fmt::print(stderr, "tock scan: {} under {}\n",
                   o.all ? "no workflow runs" : "no workflow running (--all for every run)",
                   runs_base().string());
        return 0;
    }
    std::size_t w_name = 4, w_dir = 7, w_state = 5;
    for (const auto& v : rows) {
        w_name = std::max(w_name, v.name.size());
        w_dir = std::max(w_dir, v.dir.string().size());
        w_state = std::max(w_state, v.state.size());
    }
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "NAME", w_name, "RUN DIR", w_dir, "STATE", w_state,
               "HOST:PID");
    for (const auto& v : rows) {
        fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", v.name, w_name, v.dir.string(), w_dir, v.state,
                   w_state, host_pid(v));
    }
    return 0;
}

namespace {

// Writes all of [p, p+n) to stdout; false if stdout is gone.
bool write_out(const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(1, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Copies the file from the descriptor's position to its end (from its
// start, if it was truncated below that); false if stdout is gone.
bool copy_out(int fd) {
    struct stat st {};
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (::fstat(fd, &st) == 0 && at > st.st_size) ::lseek(fd, 0, SEEK_SET);
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return true;
        if (!write_out(buf, static_cast<std::size_t>(n))) return false;
    }
}

int pidfd_open(long pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

// A job's job.status: its pid, when it started, and whether it has said how
// it ended.
struct JobStatus {
    std::optional<long> pid;
    std::optional<long> started;  // seconds since 1970
    bool exited = false;
};

JobStatus read_status(const fs::path& job_dir) {
    JobStatus s;
    std::ifstream f(job_dir / "job.status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("TOCK_JOB_PID=", 0) == 0) {
            const long pid = std::strtol(line.c_str() + 13, nullptr, 10);
            if (pid > 0) s.pid = pid;
        } else if (line.rfind("TOCK_JOB_EXIT=", 0) == 0) {
            s.exited = true;
        } else if (const auto sp = line.find(' ');
                   !s.started && sp != std::string::npos && line.substr(sp + 1) == "started") {
            s.started = std::strtol(line.c_str(), nullptr, 10);
        }
    }
    return s;
}

// When process `pid` started, in seconds since 1970 (/proc/PID/stat's
// start time after boot, plus /proc/stat's boot time).
std::optional<double> process_start(long pid) {
    const std::string text = read_proc_file(fmt::format("/proc/{}/stat", pid));
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i != 22) continue;
        std::ifstream stat("/proc/stat");
        std::string key;
        long boot = 0;
        while (stat >> key) {
            if (key == "btime") {
                stat >> boot;
                break;
            }
            stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
        }
        if (boot == 0) return std::nullopt;
        return static_cast<double>(boot) +
               std::strtod(field.c_str(), nullptr) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return std::nullopt;
}

// Is `pid` still the job's process, not a pid used again? It started when
// job.status says the job did (the script may have exec'd another
// program), or it runs the job's script.
bool same_job(long pid, const JobStatus& s, const fs::path& job_dir) {
    if (s.started) {
        if (const auto at = process_start(pid)) return std::abs(*at - *s.started) <= 2.0;
    }
    std::istringstream f(read_proc_file(fmt::format("/proc/{}/cmdline", pid)));
    std::string arg;
    while (std::getline(f, arg, '\0')) {
        std::error_code ec;
        if (!arg.empty() && arg.front() == '/' && fs::equivalent(arg, job_dir / "job", ec))
            return true;
    }
    return false;
}

struct Follow {
    fs::path file;     // what is printed
    fs::path run;      // its run
    fs::path job_dir;  // a job's directory; empty for the scheduler log
    std::string what;  // for a message: "1/a/01", "the scheduler log"
};

// Prints `f.file` and follows it as it grows, as tail -f does, until its
// end: for a job, its job.status says it exited or its process is gone (or,
// when it has no process yet, its scheduler is gone); for the scheduler
// log, the scheduler's contact file goes or its process ends. Event-driven:
// inotify on the file's directory (writes, and a rotation, which renames the
// file and makes a new one) and on RUN/.service (the contact file), and the
// processes' pidfds. Returns the exit status.
int follow(const Follow& f) {
    const bool job = !f.job_dir.empty();
    Fd in(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!in) {
        fmt::print(stderr, "tock cat-log: inotify: {}\n", std::strerror(errno));
        return 1;
    }
    const fs::path dir = f.file.parent_path();
    const std::string base = f.file.filename().string();
    // Watched before anything is read, so that nothing happens unseen.
    const int wd_dir = ::inotify_add_watch(in.get(), dir.c_str(),
                                           IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                               IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
    if (wd_dir < 0) {
        fmt::print(stderr, "tock cat-log: cannot watch {}: {}\n", dir.string(),
                   std::strerror(errno));
        return 1;
    }
    const int wd_service =
        ::inotify_add_watch(in.get(), (f.run / ".service").c_str(), IN_DELETE | IN_MOVED_FROM);

    // The scheduler, if it is alive: its contact file and its lock.
    Fd sched;
    bool sched_alive = false;
    if (const Contact c = read_contact(f.run); c.exists && lock_held(f.run)) {
        sched_alive = true;
        if (const long pid = scheduler_pid(f.run, c); pid > 0) sched.reset(pidfd_open(pid));
        // The contact file may have gone between the look and the watch.
        if (!there(f.run / ".service" / "contact")) sched_alive = false;
    }
    // The job's process, once job.status names it.
    Fd job_proc;
    bool job_pid_known = false, job_over = false, status_dirty = job;
    auto check_job = [&] {
        status_dirty = false;
        const JobStatus s = read_status(f.job_dir);
        if (s.exited) {
            job_over = true;
        } else if (s.pid && !job_pid_known) {
            job_pid_known = true;
            const int pfd = pidfd_open(*s.pid);
            const int err = errno;
            if (pfd >= 0 && same_job(*s.pid, s, f.job_dir)) {
                job_proc.reset(pfd);
            } else {
                if (pfd >= 0) ::close(pfd);
                // Gone without a word (SIGKILL), or the pid is another
                // process's now. Without pidfds, job.status alone says when
                // the job ends.
                if (pfd >= 0 || err != ENOSYS) job_over = true;
            }
        }
    };

    Fd fd(::open(f.file.c_str(), O_RDONLY | O_CLOEXEC));
    bool opened = static_cast<bool>(fd), ending = false;
    alignas(inotify_event) char buf[16 * 1024];
    for (;;) {
        if (!fd) {
            fd.reset(::open(f.file.c_str(), O_RDONLY | O_CLOEXEC));
            opened = opened || static_cast<bool>(fd);
        }
        if (fd && !copy_out(fd.get())) return 0;  // stdout closed: nothing to follow for
        if (ending) {
            if (opened) return 0;
            fmt::print(stderr, "tock cat-log: {}: no such file: {}\n", f.what, f.file.string());
            return 1;
        }
        // The end, once seen, is followed by one more read: what was written
        // before it is printed.
        if (job) {
            if (status_dirty) check_job();
            if (job_over || (!job_pid_known && !sched_alive)) ending = true;
        } else if (!sched_alive) {
            ending = true;
        }
        if (ending) continue;

        pollfd pfds[3] = {{in.get(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
        if (sched) pfds[1].fd = sched.get();
        if (job_proc) pfds[2].fd = job_proc.get();
        if (::poll(pfds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            fmt::print(stderr, "tock cat-log: poll: {}\n", std::strerror(errno));
            return 1;
        }
        if (pfds[1].revents) {
            sched.reset();
            sched_alive = false;
        }
        if (pfds[2].revents) {
            job_proc.reset();
            status_dirty = true;  // how it ended, if it said
            job_over = true;
        }
        if (!(pfds[0].revents & POLLIN)) continue;
        for (;;) {
            const ssize_t n = ::read(in.get(), buf, sizeof buf);
            if (n <= 0) break;
            for (ssize_t i = 0; i < n;) {
                const auto* ev = reinterpret_cast<const inotify_event*>(buf + i);
                i += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
                const std::string name = ev->len ? ev->name : "";
                if (ev->wd == wd_dir) {
                    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                        if (fd) copy_out(fd.get());
                        fmt::print(stderr, "tock cat-log: {} was deleted or moved\n", dir.string());
                        return 1;
                    }
                    if (name == base &&
                        (ev->mask & (IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_MOVED_TO))) {
                        // Rotated (renamed, a new file made) or replaced: the
                        // rest of the old file, then the new one from its start.
                        if (fd && !copy_out(fd.get())) return 0;
                        fd.reset();
                    }
                    if (name == "job.status") status_dirty = true;
                } else if (ev->wd == wd_service && name == "contact") {
                    sched_alive = false;
                }
            }
        }
    }
}

int usage(const std::string& why) {
    fmt::print(stderr, "tock cat-log: {}\n", why);
    return 2;
}

int missing(const std::string& why) {
    fmt::print(stderr, "tock cat-log: {}\n", why);
    return 1;
}

// The run's workflow as it was started, for the cycle point forms it accepts
// and its task names; nullopt if it cannot be read.
std::optional<config::Workflow> run_workflow(const fs::path& run) {
    try {
        config::Overrides ov;
        ov.initial = db_param(run, "initial_cycle");
        ov.final = db_param(run, "final_cycle");
        ov.vars = recorded_vars(db_param(run, "vars"));
        return config::Workflow::load((run / "flow.yaml").string(), ov);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) return out;
        start = at + 1;
    }
}

}  // namespace

int cat_log(const CatLogOptions& o) {
    // The id: NAME, NAME//CYCLE/TASK[/JOB]; with --run-dir, [//]CYCLE/TASK[/JOB].
    std::string wf_id, task_id;
    bool has_task = false;
    if (const auto sep = o.id.find("//"); sep != std::string::npos) {
        wf_id = o.id.substr(0, sep);
        task_id = o.id.substr(sep + 2);
        has_task = true;
    } else if (!o.run_dir.empty()) {
        task_id = o.id;
        has_task = !o.id.empty();
    } else {
        wf_id = o.id;
    }
    if (!o.run_dir.empty() && !wf_id.empty())
        return usage(fmt::format("'{}': name the run by NAME or by --run-dir DIR, not both", o.id));
    if (o.run_dir.empty() && wf_id.empty()) {
        return usage(o.id.empty()
                         ? "name the workflow: NAME[//CYCLE/TASK[/JOB]], or --run-dir DIR"
                         : fmt::format("'{}': the workflow NAME is missing before '//'", o.id));
    }
    if (!wf_id.empty() && !valid_workflow_id(wf_id))
        return usage(fmt::format("'{}' is not a workflow id (NAME or NAME/runN)", wf_id));
    std::string cycle, task, job;
    if (has_task) {
        const auto parts = split(task_id, '/');
        const bool bad_job =
            parts.size() == 3 &&
            !(parts[2] == "NN" ||
              (parts[2].size() <= 6 && std::all_of(parts[2].begin(), parts[2].end(),
                                                   [](char c) { return c >= '0' && c <= '9'; })));
        if (parts.size() < 2 || parts.size() > 3 ||
            std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); }) || bad_job) {
            return usage(
                fmt::format("'{}' is not {}CYCLE/TASK or {}CYCLE/TASK/JOB (JOB: 1, 01 or NN)", o.id,
                            o.run_dir.empty() ? "NAME//" : "", o.run_dir.empty() ? "NAME//" : ""));
        }
        cycle = parts[0];
        task = parts[1];
        if (parts.size() == 3) job = parts[2];
    }
    static const std::map<std::string, std::string> kJobFiles = {
        {"out", "job.out"}, {"err", "job.err"}, {"job", "job"}, {"status", "job.status"}};
    const std::string kind = !o.file.empty() ? o.file : has_task ? "out" : "log";
    if (kind != "log" && !kJobFiles.count(kind))
        return usage(fmt::format("-f must be log, out, err, job or status, not '{}'", kind));
    if (kind == "log" && has_task)
        return usage(
            "-f log is the scheduler's log: give the workflow alone, without //CYCLE/TASK");
    if (kind != "log" && !has_task)
        return usage(fmt::format("-f {} is a job's file: give NAME//CYCLE/TASK[/JOB]", kind));

    fs::path run;
    if (!o.run_dir.empty()) {
        run = fs::absolute(o.run_dir).lexically_normal();
        if (!is_run_dir(run))
            return missing(fmt::format("{} is not a run directory", run.string()));
    } else {
        std::string why;
        const auto found = find_run(wf_id, why);
        if (!found) return missing(why);
        run = *found;
    }

    Follow f;
    f.run = run;
    if (!has_task) {
        f.file = run / "log" / "scheduler" / "log";
        f.what = "the scheduler log";
    } else {
        const fs::path jobs = run / "log" / "job";
        if (!is_dir(jobs / cycle / task)) {
            // The cycle point as the user wrote it (2026-01-01T06Z) may be
            // another form of the one the directories are named by.
            if (const auto wf = run_workflow(run)) {
                if (!wf->is_task(task)) {
                    return missing(fmt::format("workflow '{}' has no task '{}' (run {})", wf->name,
                                               task, run.string()));
                }
                try {
                    cycle = wf->cycling.format(wf->cycling.parse_point(cycle));
                } catch (const std::exception& e) {
                    return usage(fmt::format("'{}' is not a cycle point of workflow '{}': {}",
                                             cycle, wf->name, e.what()));
                }
            }
            if (!is_dir(jobs / cycle / task)) {
                return missing(fmt::format("{}/{} has no job in {} (it has not been submitted)",
                                           cycle, task, run.string()));
            }
        }
        const fs::path task_dir = jobs / cycle / task;
        const auto nums = job_numbers(task_dir);
        if (nums.empty())
            return missing(fmt::format("{}/{} has no job yet in {}", cycle, task, run.string()));
        int num = nums.back();
        if (!job.empty() && job != "NN") {
            num = std::stoi(job);
            if (std::find(nums.begin(), nums.end(), num) == nums.end()) {
                std::string have;
                for (int n : nums) have += fmt::format("{}{:02}", have.empty() ? "" : ", ", n);
                return missing(fmt::format("{}/{} has no job {:02} in {} (its jobs: {})", cycle,
                                           task, num, run.string(), have));
            }
        }
        f.job_dir = task_dir / fmt::format("{:02}", num);
        f.file = f.job_dir / kJobFiles.at(kind);
        f.what = fmt::format("{}/{}/{:02}", cycle, task, num);
    }

    if (o.tail) return follow(f);
    Fd fd(::open(f.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (has_task)
            return missing(fmt::format("job {} has no {}: no {}", f.what,
                                       f.file.filename().string(), f.file.string()));
        return missing(
            fmt::format("run {} has no scheduler log: no {}", run.string(), f.file.string()));
    }
    copy_out(fd.get());
    return 0;
}

namespace {

int clean_usage(const std::string& why) {
    fmt::print(stderr, "tock clean: {}\n", why);
    return 2;
}

int clean_fail(const std::string& why) {
    fmt::print(stderr, "tock clean: {}\n", why);
    return 1;
}

// Refuses a run whose scheduler is alive: its lock held.
std::optional<std::string> alive_reason(const fs::path& run) {
    if (!lock_held(run)) return std::nullopt;
    const Contact c = read_contact(run);
    const long pid = scheduler_pid(run, c);
    if (pid <= 0) {
        return fmt::format("the run in {} has a live scheduler (its lock is held): stop it first",
                           run.string());
    }
    return fmt::format(
        "the run in {} has a live scheduler, pid {}{}: stop it first (kill -TERM {})", run.string(),
        pid, c.host.empty() ? "" : " on " + c.host, pid);
}

}  // namespace

int clean(const CleanOptions& o) {
    if (!o.run_dir.empty() && !o.id.empty())
        return clean_usage("name the run by NAME or by --run-dir DIR, not both");
    if (o.run_dir.empty() && o.id.empty())
        return clean_usage(
            "name the run: NAME (its latest run), NAME/runN, NAME --all, or --run-dir DIR");
    if (o.all && !o.run_dir.empty())
        return clean_usage("--all takes a workflow NAME, not --run-dir");
    if (!o.id.empty() && !valid_workflow_id(o.id))
        return clean_usage(fmt::format("'{}' is not a workflow id (NAME or NAME/runN)", o.id));

    std::vector<fs::path> targets;
    fs::path parent;  // ~/tock-run/NAME: deleted too once no run is left in it
    fs::path link;    // --run-dir given as a symbolic link to the run
    if (!o.run_dir.empty()) {
        std::error_code ec;
        const fs::path dir = fs::canonical(o.run_dir, ec);
        if (ec) return clean_fail(fmt::format("no directory {}: nothing deleted", o.run_dir));
        if (!is_run_dir(dir)) {
            return clean_fail(
                fmt::format("{} is not a tock run directory (no db, no .service): nothing deleted",
                            dir.string()));
        }
        std::string given = o.run_dir;
        while (given.size() > 1 && given.back() == '/') given.pop_back();
        if (fs::is_symlink(given, ec)) link = given;
        targets.push_back(dir);
        // A run under ~/tock-run: its NAME directory goes with its last run.
        if (dir.parent_path().parent_path() == fs::weakly_canonical(runs_base(), ec))
            parent = dir.parent_path();
    } else if (o.all) {
        parent = runs_base() / o.id;
        if (is_run(parent))
            return clean_usage(fmt::format("'{}' is a run: --all takes a workflow NAME", o.id));
        for (const auto& r : runs_in(parent, true)) targets.push_back(r.dir);
        if (targets.empty())
            return clean_fail(
                fmt::format("no runs of workflow '{}' under {}", o.id, runs_base().string()));
    } else {
        std::string why;
        const auto found = find_run(o.id, why);
        if (!found) return clean_fail(why);
        targets.push_back(*found);
        if (found->parent_path().parent_path() == runs_base()) parent = found->parent_path();
    }

    for (const auto& t : targets) {
        if (const auto why = alive_reason(t))
            return clean_fail(*why + (targets.size() > 1 ? "; nothing deleted" : ""));
    }
    if (!o.yes) {
        std::string list;
        for (const auto& t : targets) list += "  " + t.string() + "\n";
        if (!::isatty(0)) {
            fmt::print(stderr, "tock clean: this would delete:\n{}add --yes to delete them\n",
                       list);
            return 2;
        }
        fmt::print("tock clean: delete these run directories?\n{}[y/N] ", list);
        std::fflush(stdout);
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") {
            fmt::print("tock clean: nothing deleted\n");
            return 1;
        }
    }
    for (const auto& t : targets) {
        // The lock, held while the run goes: a scheduler cannot start in it
        // meanwhile (tock play NAME would have restarted it).
        Fd lock(::open((t / ".service" / "lock").c_str(), O_RDONLY | O_CLOEXEC));
        if (lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            if (const auto why = alive_reason(t)) return clean_fail(*why);
            return clean_fail(fmt::format("cannot lock {}: {}", t.string(), std::strerror(err)));
        }
        std::error_code ec;
        // The sockets a scheduler killed with SIGKILL left behind.
        std::string why;
        if (const std::string sockets = socket_dir(t.string(), false, why); !sockets.empty())
            fs::remove_all(sockets, ec);
        fs::remove_all(t, ec);
        if (ec) return clean_fail(fmt::format("cannot delete {}: {}", t.string(), ec.message()));
        fmt::print("tock clean: deleted {}\n", t.string());
    }
    if (!link.empty()) {
        std::error_code ec;
        if (fs::remove(link, ec)) fmt::print("tock clean: deleted the link {}\n", link.string());
    }
    if (!parent.empty()) {
        std::error_code ec;
        if (fs::is_empty(parent, ec) && !ec && fs::remove(parent, ec))
            fmt::print("tock clean: deleted {} (no run left in it)\n", parent.string());
    }
    return 0;
}

}  // namespace tock::cmd
