// Virtual time shared by loops in several threads, processes or hosts.
//
// One loop's virtual clock moves when, and only when, that loop is idle (a
// whole non-blocking turn resumed nothing, no child or pending call held).
// Components on several loops must all be idle, and no bus message may be
// on its way between them, before time can jump: otherwise a timer would
// fire while a message that should have come first is still in flight.
//
// One TimeMaster (on the scheduler's loop) keeps the time; every other loop
// has a TimeFollower connected to it. A loop that goes idle reports to the
// master what its bus endpoints have sent and taken (bus_state). The master
// moves time, to the earliest deadline of any loop, when every loop's
// latest report says idle and the reports agree: each subscriber has taken,
// on every topic it takes, the last message its publisher sent (or the
// message came before the subscriber's welcome, and was never meant for
// it). A message sent before its sender's report but taken after its
// receiver's shows as a difference, so the check is sound with the reports
// taken at different moments: an idle loop becomes busy again only through
// a message, and the first such message is counted by its sender and not
// by its receiver. A subscriber still in its handshake holds its loop.
//
// The master then sends the new time to every follower, with a new epoch;
// a follower reports again (even if it did nothing) once idle in the new
// epoch, and only reports of the current epoch count.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "scheduler/clock.hpp"
#include "scheduler/loop.hpp"

namespace tock {

// What the bus endpoints of `loop` have sent and taken:
// {"pubs": {sender: {topic: seq}}, "subs": [{"topics": [...], "chains": ...}]}.
nlohmann::json bus_state(Loop& loop);

// Whether a set of reports proves nothing in flight; `why` names a
// difference when not.
bool bus_quiet(const std::vector<const nlohmann::json*>& states, std::string& why);

class TimeMaster final : public TimeSync {
  public:
    // Binds `endpoints` (inproc:// for threads, ipc:// for processes) and
    // waits for `followers` loops.
    TimeMaster(Loop& loop, const std::vector<std::string>& endpoints, std::size_t followers);
    ~TimeMaster() override;
    TimeMaster(const TimeMaster&) = delete;
    TimeMaster& operator=(const TimeMaster&) = delete;

    void idle() override;
    std::uint64_t advances() const noexcept { return advances_; }

  private:
    static void on_poll(uv_poll_t* h, int status, int events);
    void drain();
    void evaluate();

    Loop& loop_;
    zmq::socket_t sock_;
    uv_poll_t* poll_;
    std::size_t followers_;
    std::uint64_t epoch_ = 0, advances_ = 0;
    struct Report {
        std::string rid;
        nlohmann::json state;
        std::uint64_t epoch = 0;
        std::optional<std::int64_t> deadline;  // ns since the epoch
    };
    std::map<std::string, Report> reports_;  // by loop name
    bool self_idle_ = false;
    std::uint64_t self_fired_ = 0;
};

class TimeFollower final : public TimeSync {
  public:
    // `name` is unique among the loops; `start` is the master's time now.
    TimeFollower(Loop& loop, std::string name, const std::string& master_endpoint);
    ~TimeFollower() override;
    TimeFollower(const TimeFollower&) = delete;
    TimeFollower& operator=(const TimeFollower&) = delete;

    void idle() override;

  private:
    static void on_poll(uv_poll_t* h, int status, int events);
    void drain();

    Loop& loop_;
    std::string name_;
    zmq::socket_t sock_;
    uv_poll_t* poll_;
    std::uint64_t epoch_ = 0;
    std::uint64_t reported_fired_ = ~std::uint64_t{0};
    bool must_report_ = true;
};

}  // namespace tock
