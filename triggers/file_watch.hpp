// file_exists, told rather than polled: `co_await FileWatch(loop, path).wait()`
// returns once `path` exists, with no timer and no wake-up before.
//
// The watch is an inotify watch (uv_fs_event) on the path's nearest existing
// ancestor directory. Each event there looks again: a directory of the path
// that has appeared moves the watch down to it, and the path itself ends
// the wait. The path is checked once after each watch starts, so a file
// made between a check and the watch is never missed. An ancestor that is
// removed moves the watch back up on its next event.
#pragma once

#include <uv.h>

#include <optional>
#include <string>

#include "scheduler/clock.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/task.hpp"

namespace tock::triggers {

class FileWatch {
  public:
    FileWatch(Loop& loop, std::string path);
    ~FileWatch();
    FileWatch(const FileWatch&) = delete;
    FileWatch& operator=(const FileWatch&) = delete;

    // Returns when the path exists (at once if it does). `also_every`: look
    // at that interval too, for file systems whose changes made elsewhere
    // raise no inotify event (NFS, Lustre, GPFS written from another node).
    // Throws std::runtime_error if no ancestor can be watched.
    Task<void> wait(std::optional<Duration> also_every = std::nullopt);
    // The directory watched now ("" before wait() or once it has returned).
    const std::string& watching() const { return dir_; }

  private:
    // Watch the nearest existing ancestor of path_; true if path_ exists.
    bool rewatch();
    void stop();

    Loop& loop_;
    std::string path_, dir_;
    uv_fs_event_t* handle_ = nullptr;
    Event changed_;
};

// The nearest existing directory on the way to `path` (absolute or relative
// to the working directory): `path` itself if it is a directory, else its
// parent, and so on; "/" at worst.
std::string nearest_existing_dir(const std::string& path);
// Whether `path` is a directory (following links).
bool is_dir(const std::string& path);

}  // namespace tock::triggers
