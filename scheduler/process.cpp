#include "scheduler/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <deque>
#include <system_error>

extern char** environ;

namespace tock {

struct Process::State {
    Loop* loop = nullptr;
    uv_process_t handle{};
    std::optional<ExitStatus> status;
    ReadyList waiters;
    bool owned = true;  // a Process object still refers to this state
    bool closed = false;
    bool group = false;

    // The message pipe (fd 3 in the child).
    uv_pipe_t pipe{};
    bool has_pipe = false;
    bool pipe_open = false;  // not yet closing
    bool pipe_closed = true;
    std::string partial;
    std::deque<std::string> lines;
    bool lines_done = false;
    ReadyList line_waiters;
    char buf[4096];

    void maybe_free() {
        if (!owned && closed && pipe_closed) delete this;
    }
    static void on_close(uv_handle_t* h) {
        auto* s = static_cast<State*>(h->data);
        s->closed = true;
        s->maybe_free();
    }
    static void on_pipe_close(uv_handle_t* h) {
        auto* s = static_cast<State*>(h->data);
        s->pipe_closed = true;
        s->maybe_free();
    }
    void take(const char* data, std::size_t n) {
        partial.append(data, n);
        for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
            lines.push_back(partial.substr(0, nl));
            partial.erase(0, nl + 1);
        }
        if (!lines.empty()) wake_readers();
    }
    void wake_readers() {
        while (Ready* r = line_waiters.pop_front()) loop->post(*r);
    }
    // The child has exited: read what it left in the pipe, then stop.
    void finish_pipe() {
        if (pipe_open) {
            uv_os_fd_t fd = -1;
            if (uv_fileno(reinterpret_cast<uv_handle_t*>(&pipe), &fd) == 0) {
                for (;;) {
                    const ssize_t n = ::read(fd, buf, sizeof buf);
                    if (n > 0) {
                        take(buf, static_cast<std::size_t>(n));
                        continue;
                    }
                    if (n < 0 && errno == EINTR) continue;
                    break;  // EOF, or nothing more now (a descendant holds it open)
                }
            }
            close_pipe();
        }
        if (!partial.empty()) lines.push_back(std::exchange(partial, {}));
        lines_done = true;
        wake_readers();
    }
    void close_pipe() {
        if (!pipe_open) return;
        pipe_open = false;
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe));
        uv_close(reinterpret_cast<uv_handle_t*>(&pipe), &State::on_pipe_close);
    }
};

void Process::abandon(uv_process_t* h) noexcept {
    auto* st = static_cast<State*>(h->data);
    st->owned = false;  // its Process, if any, must not outlive the loop either
    st->close_pipe();
    uv_close(reinterpret_cast<uv_handle_t*>(h), &State::on_close);
}

namespace {

int open_append(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
    return fd;
}

}  // namespace

Process Process::spawn(Loop& loop, const ProcessOptions& opts) {
    if (opts.argv.empty()) throw std::invalid_argument("Process::spawn: empty argv");
    std::vector<char*> args;
    for (auto& a : opts.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (auto& [k, v] : opts.env) env[k] = v;
    std::vector<std::string> env_strings;
    for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    int out_fd = opts.stdout_path ? open_append(*opts.stdout_path) : -1;
    int err_fd = -1;
    try {
        err_fd = opts.stderr_path ? open_append(*opts.stderr_path) : -1;
    } catch (...) {
        if (out_fd >= 0) ::close(out_fd);
        throw;
    }
    uv_stdio_container_t stdio[4];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = out_fd >= 0 ? out_fd : 1;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = err_fd >= 0 ? err_fd : 2;

    uv_process_options_t o{};
    o.file = args[0];
    o.args = args.data();
    o.env = envp.data();
    o.cwd = opts.cwd ? opts.cwd->c_str() : nullptr;
    o.stdio_count = 3;
    o.stdio = stdio;
    if (opts.own_group) o.flags |= UV_PROCESS_DETACHED;
    o.exit_cb = [](uv_process_t* h, int64_t code, int sig) {
        auto* st = static_cast<State*>(h->data);
        st->status = ExitStatus{static_cast<long>(code), sig};
        st->loop->unhold();
        if (st->has_pipe) st->finish_pipe();
        while (Ready* r = st->waiters.pop_front()) st->loop->post(*r);
        uv_close(reinterpret_cast<uv_handle_t*>(h), &State::on_close);
    };

    auto* st = new State;
    st->loop = &loop;
    st->handle.data = st;
    st->group = opts.own_group;
    if (opts.message_pipe) {
        uv_pipe_init(loop.uv(), &st->pipe, 0);
        st->pipe.data = st;
        st->has_pipe = st->pipe_open = true;
        st->pipe_closed = false;
        stdio[3].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
        stdio[3].data.stream = reinterpret_cast<uv_stream_t*>(&st->pipe);
        o.stdio_count = 4;
    } else {
        st->lines_done = true;
    }
    const int rc = uv_spawn(loop.uv(), &st->handle, &o);
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    if (rc != 0) {
        // libuv requires the handle to be closed even when spawning failed.
        st->owned = false;
        st->close_pipe();
        uv_close(reinterpret_cast<uv_handle_t*>(&st->handle), &State::on_close);
        throw std::system_error(-rc, std::generic_category(), "spawn " + opts.argv[0]);
    }
    if (st->has_pipe) {
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&st->pipe),
            [](uv_handle_t* h, size_t, uv_buf_t* b) {
                auto* s = static_cast<State*>(h->data);
                *b = uv_buf_init(s->buf, sizeof s->buf);
            },
            [](uv_stream_t* h, ssize_t n, const uv_buf_t* b) {
                auto* s = static_cast<State*>(h->data);
                if (n > 0) s->take(b->base, static_cast<std::size_t>(n));
                if (n < 0) s->close_pipe();  // EOF or error: the exit finishes the rest
            });
    }
    loop.hold();
    return Process(st);
}

Process::~Process() {
    if (!st_) return;
    st_->owned = false;
    while (st_->waiters.pop_front()) {
    }
    while (st_->line_waiters.pop_front()) {
    }
    if (st_->closed) st_->close_pipe();
    st_->maybe_free();
}

int Process::pid() const noexcept {
    return st_->handle.pid;
}
bool Process::exited() const noexcept {
    return st_->status.has_value();
}

bool Process::kill(int signum) noexcept {
    if (exited()) return false;
    return uv_process_kill(&st_->handle, signum) == 0;
}

bool Process::kill_group(int signum) noexcept {
    if (exited()) return false;
    if (!st_->group) return kill(signum);
    return ::kill(-st_->handle.pid, signum) == 0;
}

Process::Line::~Line() = default;  // ready_ unlinks itself

bool Process::Line::await_ready() const noexcept {
    return !p_.st_->lines.empty() || p_.st_->lines_done;
}

void Process::Line::await_suspend(std::coroutine_handle<> h) noexcept {
    ready_.handle = h;
    p_.st_->line_waiters.push_back(ready_);
}

std::optional<std::string> Process::Line::await_resume() const {
    auto& q = p_.st_->lines;
    if (q.empty()) return std::nullopt;
    std::string line = std::move(q.front());
    q.pop_front();
    return line;
}

Process::Wait::~Wait() = default;  // ready_ unlinks itself

void Process::Wait::await_suspend(std::coroutine_handle<> h) noexcept {
    ready_.handle = h;
    p_.st_->waiters.push_back(ready_);
}

ExitStatus Process::Wait::await_resume() const noexcept {
    return *p_.st_->status;
}

SignalWait::SignalWait(Loop& loop, int signum) : loop_(loop), signum_(signum) {}

SignalWait::~SignalWait() {
    if (!handle_) return;
    uv_signal_stop(handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
}

void SignalWait::await_suspend(std::coroutine_handle<> h) noexcept {
    ready_.handle = h;
    handle_ = new uv_signal_t;
    uv_signal_init(loop_.uv(), handle_);
    handle_->data = this;
    uv_signal_start_oneshot(handle_, &SignalWait::on_signal, signum_);
}

void SignalWait::on_signal(uv_signal_t* h, int) {
    auto* self = static_cast<SignalWait*>(h->data);
    self->loop_.post(self->ready_);
}

}  // namespace tock
