#include "triggers/file_watch.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <stdexcept>

namespace tock::triggers {

namespace {

bool exists(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string nearest_existing_dir(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    for (;;) {
        if (is_dir(p)) return p;
        const auto slash = p.rfind('/');
        if (slash == std::string::npos) return ".";
        if (slash == 0) return "/";
        p.resize(slash);
    }
}

FileWatch::FileWatch(Loop& loop, std::string path)
    : loop_(loop), path_(std::move(path)), changed_(loop) {}

FileWatch::~FileWatch() {
    stop();
}

void FileWatch::stop() {
    if (!handle_) return;
    uv_fs_event_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_fs_event_t*>(h); });
    handle_ = nullptr;
    dir_.clear();
}

bool FileWatch::rewatch() {
    for (;;) {
        if (exists(path_)) return true;
        const std::string dir = nearest_existing_dir(path_);
        if (dir != dir_) {
            stop();
            handle_ = new uv_fs_event_t;
            if (uv_fs_event_init(loop_.uv(), handle_) != 0) {
                delete handle_;
                handle_ = nullptr;
                throw std::runtime_error(fmt::format("cannot watch {}", dir));
            }
            handle_->data = this;
            const int rc = uv_fs_event_start(
                handle_,
                [](uv_fs_event_t* h, const char*, int, int) {
                    if (auto* self = static_cast<FileWatch*>(h->data)) self->changed_.set();
                },
                dir.c_str(), 0);
            if (rc != 0) {
                stop();
                throw std::runtime_error(fmt::format("cannot watch {}: {}", dir, uv_strerror(rc)));
            }
            dir_ = dir;
        }
        // Looked at after the watch started: whatever appeared before it is
        // seen here, whatever appears after it is an event.
        if (exists(path_)) return true;
        if (nearest_existing_dir(path_) == dir_) return false;
        // A directory on the way appeared meanwhile: go down to it.
    }
}

Task<void> FileWatch::wait(std::optional<Duration> also_every) {
    Scope ticker(loop_);
    if (also_every) {
        ticker.spawn([](Loop& loop, Event& changed, Duration every) -> Task<void> {
            for (;;) {
                co_await loop.clock().sleep_for(every);
                changed.set();
            }
        }(loop_, changed_, *also_every));
    }
    while (!rewatch()) {
        co_await changed_.wait();
        changed_.reset();
    }
    ticker.cancel();
    stop();
}

}  // namespace tock::triggers
