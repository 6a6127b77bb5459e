#include "scheduler/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
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

    void maybe_free() {
        if (!owned && closed) delete this;
    }
    static void on_close(uv_handle_t* h) {
        auto* s = static_cast<State*>(h->data);
        s->closed = true;
        s->maybe_free();
    }
};

void Process::abandon(uv_process_t* h) noexcept {
    auto* st = static_cast<State*>(h->data);
    st->owned = false;  // its Process, if any, must not outlive the loop either
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
    uv_stdio_container_t stdio[3];
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
    o.exit_cb = [](uv_process_t* h, int64_t code, int sig) {
        auto* st = static_cast<State*>(h->data);
        st->status = ExitStatus{static_cast<long>(code), sig};
        st->loop->unhold();
        while (Ready* r = st->waiters.pop_front()) st->loop->post(*r);
        uv_close(reinterpret_cast<uv_handle_t*>(h), &State::on_close);
    };

    auto* st = new State;
    st->loop = &loop;
    st->handle.data = st;
    const int rc = uv_spawn(loop.uv(), &st->handle, &o);
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    if (rc != 0) {
        // libuv requires the handle to be closed even when spawning failed.
        st->owned = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&st->handle), &State::on_close);
        throw std::system_error(-rc, std::generic_category(), "spawn " + opts.argv[0]);
    }
    loop.hold();
    return Process(st);
}

Process::~Process() {
    if (!st_) return;
    st_->owned = false;
    while (st_->waiters.pop_front()) {
    }
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
